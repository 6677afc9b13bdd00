"""Datasets with ground-truth factors of variation, and the samplers that
disentanglement metrics and weakly supervised pairs draw from.

Every example of a factor dataset carries `factors` `[K]` int32 (the index
of each factor's value) beside its `image`; the metadata names the factors
and their sizes (`factor_names`, `factor_sizes`). `label` is the shape
factor, so that the tools written for classes (probes, latent plots) apply.

A `FactorSampler` draws examples with chosen factors held fixed:

* `RenderedFactors` (the procedural sets of `data/sprites.py`): every free
  factor uniform over its values, images rendered on demand, so the whole
  grid is never held in memory; its pairs differ in every factor not
  shared;
* `HeldFactors` (any dataset with `factors`, e.g. the real `tfds:dsprites`
  and `tfds:shapes3d`): uniform over the held examples that match the fixed
  factors. On a full factor grid the two agree; on a subset, holding many
  factors fixed can leave no match (a UserError); a pair's redrawn factor
  can come out equal by chance (`shared` reports the values in common).

`sampler(dataset, split)` gives the right one for a dataset.
`NAME_pairs` (e.g. `dsprites_procedural_pairs`) is the procedural set NAME
whose training examples carry a partner image (`pair_image`, with
`pair_factors` and `shared` for analysis): the weakly supervised pairs of
Locatello et al. (2020), each sharing an unknown number of factors.
"""

import abc
import dataclasses
from typing import Callable, Mapping

import numpy as np

from unsup_jax.data import sprites
from unsup_jax.data.dataset import Dataset
from unsup_jax.errors import UserError


@dataclasses.dataclass(frozen=True)
class FactorSpace:
  """Names and sizes of the factors of variation."""
  names: tuple[str, ...]
  sizes: tuple[int, ...]

  @property
  def num_factors(self) -> int:
    return len(self.sizes)

  def index(self, factor) -> int:
    """The position of `factor` (a name or an index)."""
    if isinstance(factor, (int, np.integer)):
      if not 0 <= factor < self.num_factors:
        raise UserError(f"factor index {factor} is out of range: there are "
                        f"{self.num_factors} ({', '.join(self.names)})")
      return int(factor)
    if factor not in self.names:
      raise UserError(f"unknown factor {factor!r}; the factors are "
                      f"{', '.join(self.names)}")
    return self.names.index(factor)

  def fixed(self, fixed: Mapping | None) -> dict[int, int]:
    """`{factor name or index: value}` -> `{index: value}`, checked."""
    out = {}
    for factor, value in (fixed or {}).items():
      k = self.index(factor)
      if not 0 <= int(value) < self.sizes[k]:
        raise UserError(f"value {value} of factor {self.names[k]!r} is out "
                        f"of range [0, {self.sizes[k]})")
      out[k] = int(value)
    return out

  def uniform(self, rng: np.random.Generator, n: int) -> np.ndarray:
    """`[n, K]` int32 factors, each uniform over its values."""
    return np.stack([rng.integers(0, s, n) for s in self.sizes],
                    axis=1).astype(np.int32)


class FactorSampler(abc.ABC):
  """Draws `(factors [n, K], images [n, ...])`; `fixed` holds factors
  (`{name or index: value}`, or per-example `{index: [n] values}`)."""
  space: FactorSpace

  @abc.abstractmethod
  def sample(self, rng: np.random.Generator, n: int, fixed=None):
    """`n` examples, the factors in `fixed` held, the others free."""

  def partner(self, rng, fa, keep):
    """Examples with `fa`'s values where `keep`, redrawn elsewhere."""
    return self.sample(rng, len(fa), fixed={
        j: np.where(keep[:, j], fa[:, j], -1) for j in range(fa.shape[1])})


def _per_example(space, fixed, n):
  """`fixed` as `[n, K]` values, -1 where free."""
  values = np.full((n, space.num_factors), -1, np.int64)
  for factor, v in (fixed or {}).items():
    k = space.index(factor)
    v = np.broadcast_to(np.asarray(v), (n,))
    if np.any(v >= space.sizes[k]):
      raise UserError(f"a value of factor {space.names[k]!r} is out of range "
                      f"[0, {space.sizes[k]})")
    values[:, k] = v
  return values


class RenderedFactors(FactorSampler):
  """Free factors uniform over the grid; images rendered by `render`."""

  def __init__(self, space: FactorSpace,
               render: Callable[[np.ndarray], np.ndarray]):
    self.space, self.render = space, render

  def sample(self, rng, n, fixed=None):
    factors = self.space.uniform(rng, n)
    held = _per_example(self.space, fixed, n)
    factors = np.where(held >= 0, held, factors).astype(np.int32)
    return factors, self.render(factors)

  def partner(self, rng, fa, keep):
    """Each factor not kept moves to another of its values, so that the
    pair differs in exactly the factors not kept."""
    sizes = np.asarray(self.space.sizes)
    step = rng.integers(1, np.maximum(sizes, 2), fa.shape)
    moved = np.where(sizes > 1, (fa + step) % sizes, fa)
    fb = np.where(keep, fa, moved).astype(np.int32)
    return fb, self.render(fb)


class HeldFactors(FactorSampler):
  """Uniform over the held examples that match the fixed factors."""

  def __init__(self, space: FactorSpace, factors: np.ndarray,
               images: np.ndarray):
    self.space = space
    self.factors, self.images = np.asarray(factors), images

  def sample(self, rng, n, fixed=None):
    held = _per_example(self.space, fixed, n)
    rows = np.empty(n, np.int64)
    patterns, inverse = np.unique(held, axis=0, return_inverse=True)
    for p, pattern in enumerate(patterns):
      who = np.flatnonzero(inverse.reshape(-1) == p)
      on = pattern >= 0
      match = np.flatnonzero(np.all(self.factors[:, on] == pattern[on],
                                    axis=1))
      if not len(match):
        desc = ", ".join(f"{self.space.names[k]}={pattern[k]}"
                         for k in np.flatnonzero(on))
        raise UserError(f"no held example has {desc}: hold fewer factors "
                        f"fixed or load more examples")
      rows[who] = rng.choice(match, len(who))
    return self.factors[rows], np.asarray(self.images[rows])


# ------------------------------------------------------------- datasets --

# name -> (factor names and sizes, renderer, default train / test sizes)
PROCEDURAL = {
    "dsprites_procedural": (sprites.DSPRITES, sprites.render_dsprites,
                            (10_000, 2_000)),
    "colour_sprites": (sprites.COLOUR, sprites.render_colour,
                       (10_000, 2_000)),
}
SEED = 0            # the examples of the train and test splits


# `NAME_pairs`: the procedural set NAME whose training examples come with a
# partner (weak supervision, Locatello et al. 2020).
PAIRED = "_pairs"


def shared_factors(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
  """`[n, k]` bool: for each of n pairs, which of its k factors the partner
  keeps: a number of them uniform in [0, k - 1], chosen at random."""
  count = rng.integers(0, k, n)
  order = np.argsort(rng.random((n, k)), axis=1)
  keep = np.zeros((n, k), bool)
  np.put_along_axis(keep, order, np.arange(k)[None] < count[:, None], 1)
  return keep


def _procedural_base(name: str) -> str | None:
  base = name[:-len(PAIRED)] if name.endswith(PAIRED) else name
  return base if base in PROCEDURAL else None


def is_procedural(name: str) -> bool:
  return _procedural_base(name) is not None


def space_of(dataset: Dataset) -> FactorSpace:
  """The factor space of a dataset with `factors` (a UserError otherwise)."""
  if "factor_sizes" not in dataset.meta:
    raise UserError(f"dataset {dataset.name!r} has no factors of variation; "
                    f"factor datasets: {', '.join(PROCEDURAL)}, "
                    f"{', '.join('tfds:' + n for n in TFDS_FACTORS)}")
  return FactorSpace(tuple(dataset.meta["factor_names"]),
                     tuple(int(s) for s in dataset.meta["factor_sizes"]))


def procedural(name: str, num_train: int | None = None,
               num_test: int | None = None) -> Dataset:
  """`num_train` / `num_test` uniform draws from the grid of `name`,
  rendered (the train and test draws are independent: the same combination
  can appear in both, as in any subsample of dSprites)."""
  base = _procedural_base(name)
  (names, sizes), render, (n_train, n_test) = PROCEDURAL[base]
  space = FactorSpace(names, sizes)
  rng = np.random.default_rng(SEED)
  splits = {}
  for split, n in (("train", num_train or n_train), ("test", num_test or n_test)):
    f = space.uniform(rng, n)
    splits[split] = {"image": render(f), "factors": f,
                     "label": f[:, space.index("shape")]}
  if name.endswith(PAIRED):
    # Each training image's partner shares a random number (0 to K - 1)
    # of its factors, unknown to the model; `shared` is for analysis only.
    sampler = RenderedFactors(space, render)
    train = splits["train"]
    keep_rng = np.random.default_rng([SEED, 1])
    keep = shared_factors(keep_rng, len(train["factors"]), space.num_factors)
    fb, xb = sampler.partner(keep_rng, train["factors"], keep)
    train.update(pair_image=xb, pair_factors=fb,
                 shared=train["factors"] == fb)
  return Dataset.create(name, splits, num_classes=3, factor_names=names,
                        factor_sizes=sizes)


def sampler(dataset: Dataset, split: str = "train") -> FactorSampler:
  """The sampler of a factor dataset: rendered for the procedural sets,
  over the held examples of `split` otherwise."""
  space = space_of(dataset)
  if is_procedural(dataset.name):
    return RenderedFactors(space, PROCEDURAL[_procedural_base(dataset.name)][1])
  features = dataset.split(split)
  return HeldFactors(space, features["factors"], features["image"])


# tfds name -> (its label features, in order, as factor names)
TFDS_FACTORS = {
    "dsprites": ("label_shape", "label_scale", "label_orientation",
                 "label_x_position", "label_y_position"),
    "shapes3d": ("label_floor_hue", "label_wall_hue", "label_object_hue",
                 "label_scale", "label_shape", "label_orientation"),
}
TFDS_TEST_FRACTION = 0.1    # these sets have one split: a held-out tenth


def load_tfds(builder, name: str, num_train: int | None,
              num_test: int | None, chunk: int) -> Dataset:
  """`tfds:dsprites` / `tfds:shapes3d` with their factor labels: a seeded
  random subset of the single split (`num_train` + `num_test` examples,
  default 10,000 + 2,000; the whole grid is 737,280 / 480,000 images),
  read chunk by chunk so that only the kept images are held."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  base = name.split(":")[0].split("/")[0]
  keys = TFDS_FACTORS[base]
  features = builder.info.features
  sizes = tuple(int(features[k].num_classes) for k in keys)
  chunks = tfds.as_numpy(builder.as_dataset(split="train", batch_size=chunk))
  splits_info = builder.info.splits
  if "train" in splits_info:
    total = splits_info["train"].num_examples
  else:        # size unknown (`tfds.testing.mock_data`): read it all first
    chunks = list(chunks)
    total = sum(len(c["image"]) for c in chunks)
  want_test = num_test or max(1, int(min(2_000, TFDS_TEST_FRACTION * total)))
  want_train = min(num_train or 10_000, total - want_test)
  if want_train <= 0:
    raise UserError(f"dataset 'tfds:{name}' has {total} examples: too few "
                    f"for {want_test} test examples and a training split")
  rng = np.random.default_rng(SEED)
  chosen = rng.permutation(total)[:want_train + want_test]
  split_of = np.full(total, -1, np.int64)
  split_of[chosen[:want_train]] = 0
  split_of[chosen[want_train:]] = 1
  kept = ([], []), ([], [])
  start = 0
  for batch in chunks:
    n = len(batch["image"])
    where = split_of[start:start + n]
    for s in (0, 1):
      rows = np.flatnonzero(where == s)
      kept[s][0].append(batch["image"][rows])
      kept[s][1].append(np.stack([batch[k][rows] for k in keys], 1))
    start += n
  splits = {}
  for s, split in enumerate(("train", "test")):
    images = np.concatenate(kept[s][0])
    factors = np.concatenate(kept[s][1]).astype(np.int32)
    scale = 1.0 if images.max(initial=0) <= 1 else 255.0
    splits[split] = {"image": images.astype(np.float32) / np.float32(scale),
                     "factors": factors,
                     "label": factors[:, keys.index("label_shape")]}
  names = tuple(k[len("label_"):] for k in keys)
  return Dataset.create(f"tfds:{name}", splits,
                        num_classes=sizes[keys.index("label_shape")],
                        factor_names=names, factor_sizes=sizes)
