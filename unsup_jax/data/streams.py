"""A run's image, sequence or sentence data: its streams of training
batches, their per-step transform, and the view of every split that
evaluation and whole-data phases read (`training.contract.Data`; skip-gram
pairs are `skipgram.SkipGramData`, and `loader.load` picks the kind).

`prepare(dataset, config)` of a dataset in memory gives a `Data`:

* `streams`: "train" (the training split, `data.batch_size` per step) and
  every stream of `data.streams`, each a split, the rows of it that the
  stream draws (all, a class-balanced subset fixed by the run's seed, or the
  rest of another stream) and its own batch size;
* `transform`: the per-step transform of `data` (dynamic binarisation,
  corruption), run inside the compiled step;
* `view`: every split as evaluated (`transforms.eval_view`);
* `spec()`: what a method is built from.

With `data.index` every batch also carries `index`, each example's row in
its split, so that a method can keep per-example state (DEC's targets).

Each stream's order is its own function of (seed, stream, epoch): "train"
visits `default_rng([seed, epoch])`, another stream `default_rng([seed,
crc32(name), epoch])`.
"""

import dataclasses
import zlib
from typing import Mapping

import ml_collections
import numpy as np

from unsup_jax.data import transforms
from unsup_jax.data.dataset import Dataset, Feature, Spec, Stream
from unsup_jax.data.iterators import BatchIterator
from unsup_jax.errors import UserError


def balanced_rows(labels: np.ndarray, count: int, *, seed: int,
                  num_classes: int) -> np.ndarray:
  """Sorted indices of `count // C` random examples of each of C classes.

  Each class is shuffled once by `seed`, independently of `count`, so the
  subset of a smaller count lies inside that of a larger one.

  Raises:
    UserError: `count < C`, or a class with fewer than `count // C` examples.
  """
  per_class = count // num_classes
  if per_class < 1:
    raise UserError(f"{count} labelled examples cannot cover {num_classes} "
                    "classes")
  rng = np.random.default_rng(seed)
  chosen = []
  for c in range(num_classes):
    members = rng.permutation(np.flatnonzero(labels == c))
    if members.size < per_class:
      raise UserError(f"class {c} has {members.size} examples; "
                      f"{per_class} needed for {count} balanced labels")
    chosen.append(members[:per_class])
  return np.sort(np.concatenate(chosen))


def _stream_rows(dataset: Dataset, name: str, s, defined: dict,
                 seed: int) -> np.ndarray:
  n = dataset.size(s.split)
  if s.subset == "all":
    return np.arange(min(s.size, n) if s.size else n)
  if s.subset == "balanced":
    features = dataset.split(s.split)
    if "label" not in features or dataset.num_classes < 1:
      raise UserError(f"stream {name!r}: a balanced subset needs labels; "
                      f"dataset {dataset.name!r} has none")
    if not s.size:
      raise UserError(f"config.data.streams.{name}.size must be > 0 for a "
                      "balanced subset")
    return balanced_rows(features["label"], s.size, seed=seed,
                         num_classes=dataset.num_classes)
  other = s.of or "train"
  if other not in defined:
    raise UserError(f"stream {name!r} is the rest of {other!r}, which must "
                    "be defined before it in config.data.streams")
  if defined[other].split != s.split:
    raise UserError(f"stream {name!r} draws split {s.split!r} but {other!r} "
                    f"draws {defined[other].split!r}")
  rest = np.setdiff1d(np.arange(n), defined[other].rows)
  if s.size:
    rest = np.sort(np.random.default_rng([seed, 3]).permutation(rest)[:s.size])
  return rest


def define_streams(dataset: Dataset, config: ml_collections.ConfigDict
                   ) -> dict[str, Stream]:
  """The "train" stream and every stream of `config.data.streams`."""
  from unsup_jax.configs import base  # pylint: disable=g-import-not-at-top
  defined = {}
  for name in ["train", *config.data.streams]:
    s = base.stream_config(config, name)
    rows = _stream_rows(dataset, name, s, defined, config.seed)
    seed = ((config.seed,) if name == "train" else
            (config.seed, zlib.crc32(name.encode())))
    defined[name] = Stream(name, s.split, rows, s.batch_size, seed)
    if len(rows) < s.batch_size:
      raise UserError(f"stream {name!r} has {len(rows)} examples, fewer than "
                      f"its batch size {s.batch_size}")
  return defined


@dataclasses.dataclass(frozen=True)
class Data:
  """The data of one run (see the module docstring): the engine's
  `training.contract.Data`, plus the dataset the streams draw.

  Attributes:
    dataset: the dataset as the streams draw it (static bits drawn).
    view: every split as evaluated.
    streams: name -> Stream ("train" first).
    transform: the per-step transform, or None.
    data_config: the `config.data` it was prepared for.
  """
  dataset: Dataset
  view: Dataset
  streams: Mapping[str, Stream]
  transform: transforms.StepTransform | None
  data_config: ml_collections.ConfigDict

  def stream_features(self, name: str) -> dict[str, Feature]:
    s = self.streams[name]
    features = self.dataset.features(s.split)
    added = transforms.added_features(self.dataset.split(s.split),
                                      self.data_config)
    for k, v in added.items():
      features[k] = Feature(tuple(int(d) for d in v.shape[1:]), str(v.dtype))
    if self.data_config.get("index", False):
      features["index"] = Feature((), "int32")
    return features

  def spec(self) -> Spec:
    """Feature shapes per stream and the dataset's metadata, with the
    number of training examples (`num_train_examples`: estimators of
    dataset-level quantities, such as β-TCVAE's aggregate posterior, need
    it)."""
    meta = dict(self.dataset.meta)
    if "train" in self.dataset.splits:
      meta["num_train_examples"] = self.dataset.size("train")
    return Spec({name: self.stream_features(name) for name in self.streams},
                meta, self.dataset.name)

  def iterator(self, name: str, *, process_index: int = 0,
               process_count: int = 1) -> BatchIterator:
    """The resumable numpy iterator of stream `name` (this process's shard)."""
    if name not in self.streams:
      raise UserError(f"stream {name!r} is not defined (streams: "
                      f"{', '.join(self.streams)}); add "
                      f"config.data.streams.{name}")
    s = self.streams[name]
    features = {k: v[s.rows] if len(s.rows) != len(v) else v
                for k, v in self.dataset.split(s.split).items()}
    if self.data_config.get("index", False):
      features["index"] = s.rows.astype(np.int32)
    return BatchIterator(features, global_batch_size=s.batch_size,
                         seed=s.seed, process_index=process_index,
                         process_count=process_count, name=name)

  def stream_index(self, name: str) -> int:
    return list(self.streams).index(name)


def prepare(dataset: Dataset, config: ml_collections.ConfigDict) -> Data:
  """The run's Data from a dataset in memory and the run's config."""
  for split in ("train", "test"):
    dataset.split(split)  # both must exist (a UserError naming the splits)
  arrays = transforms.training_arrays(dataset, config.data)
  return Data(dataset=arrays, view=transforms.eval_view(dataset, config.data),
              streams=define_streams(arrays, config),
              transform=transforms.StepTransform.create(config.data,
                                                        config.seed),
              data_config=config.data)
