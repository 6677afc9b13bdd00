"""Datasets as named splits of named features, and the spec methods read.

A `Dataset` holds splits ("train", "test", ...), each a dict of numpy arrays
with a leading example axis: `image` `[N, H, W, C]` float32 in [0, 1],
`label` `[N]` int32, and whatever else a source provides (`factors`,
`tokens`, `mask`, `frames`, ...), plus metadata (`num_classes`, factor names
and sizes, a vocabulary, ...). A `Spec` is what a method is built from: the
shape and dtype of one example of every feature, per stream, and the
metadata; never the arrays themselves.
"""

import dataclasses
from typing import Any, Mapping

import numpy as np

from unsup_jax.errors import UserError


@dataclasses.dataclass(frozen=True)
class Feature:
  """Shape (without the example axis) and dtype name of one feature."""
  shape: tuple[int, ...]
  dtype: str


def _readonly(array: np.ndarray) -> np.ndarray:
  array = np.ascontiguousarray(array)
  array.flags.writeable = False
  return array


@dataclasses.dataclass(frozen=True)
class Dataset:
  """Named splits of named features, plus metadata.

  Attributes:
    name: what it was loaded as, e.g. "mnist5k" or "tfds:mnist".
    splits: split name -> feature name -> `[N, ...]` read-only array (all
      features of a split have the same N).
    meta: metadata, e.g. {"num_classes": 10}.
  """
  name: str
  splits: Mapping[str, Mapping[str, np.ndarray]]
  meta: Mapping[str, Any] = dataclasses.field(default_factory=dict)

  def __post_init__(self):
    for split, features in self.splits.items():
      sizes = {k: len(v) for k, v in features.items()}
      if len(set(sizes.values())) > 1:
        raise ValueError(f"split {split!r} has features of different "
                         f"lengths: {sizes}")

  @classmethod
  def create(cls, name: str, splits: Mapping[str, Mapping[str, np.ndarray]],
             **meta) -> "Dataset":
    """A Dataset whose arrays are made contiguous and read-only."""
    return cls(name, {s: {k: _readonly(v) for k, v in f.items()}
                      for s, f in splits.items()}, dict(meta))

  def split(self, name: str) -> Mapping[str, np.ndarray]:
    """The features of split `name` (a UserError naming the splits there
    are, if it is missing)."""
    if name not in self.splits:
      raise UserError(f"dataset {self.name!r} has no split {name!r} (it has "
                      f"{', '.join(self.splits)})")
    return self.splits[name]

  def size(self, split: str) -> int:
    features = self.split(split)
    return len(next(iter(features.values()))) if features else 0

  @property
  def num_classes(self) -> int:
    return int(self.meta.get("num_classes", 0))

  def replace_split(self, name: str,
                    features: Mapping[str, np.ndarray]) -> "Dataset":
    """A copy with split `name` replaced by `features` (made read-only)."""
    splits = dict(self.splits)
    splits[name] = {k: _readonly(v) for k, v in features.items()}
    return dataclasses.replace(self, splits=splits)

  def select(self, split: str, rows) -> "Dataset":
    """A copy whose split `split` keeps only `rows` (indices or a mask)."""
    return self.replace_split(
        split, {k: v[rows] for k, v in self.split(split).items()})

  def features(self, split: str) -> dict[str, Feature]:
    return {k: Feature(tuple(int(d) for d in v.shape[1:]), str(v.dtype))
            for k, v in self.split(split).items()}


@dataclasses.dataclass(frozen=True)
class Stream:
  """One stream of training batches.

  Attributes:
    name: its name ("train" is the default stream).
    split: the split it draws from.
    rows: indices into the split it draws (sorted).
    batch_size: global examples per step.
    seed: the seed sequence of its order.
  """
  name: str
  split: str
  rows: np.ndarray
  batch_size: int
  seed: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Spec:
  """What a method is built from.

  Attributes:
    streams: stream name -> feature name -> Feature, for the batches a step
      draws ("train" is the default stream).
    meta: the dataset's metadata.
    dataset: the dataset's name.
  """
  streams: Mapping[str, Mapping[str, Feature]]
  meta: Mapping[str, Any]
  dataset: str = ""

  @property
  def features(self) -> Mapping[str, Feature]:
    """The features of the default stream "train"."""
    return self.streams["train"]

  def shape(self, feature: str, stream: str = "train") -> tuple[int, ...]:
    """The shape of one example of `feature`: a UserError, naming what the
    dataset has, when it lacks the feature."""
    features = self.streams.get(stream, {})
    if feature not in features:
      raise UserError(f"this method needs feature {feature!r} in stream "
                      f"{stream!r}; dataset {self.dataset!r} gives "
                      f"{', '.join(sorted(features)) or 'nothing'}")
    return features[feature].shape

  @property
  def image_shape(self) -> tuple[int, int, int]:
    """(H, W, C) of the default stream's images."""
    shape = self.shape("image")
    if len(shape) != 3:
      raise UserError(f"feature 'image' of {self.dataset!r} has shape "
                      f"{shape}; this method needs images [H, W, C]")
    return tuple(shape)

  @property
  def num_classes(self) -> int:
    return int(self.meta.get("num_classes", 0))


def labels_of(split: Mapping[str, np.ndarray]) -> np.ndarray | None:
  """A split's `label` feature, or None when it has none."""
  return np.asarray(split["label"]) if "label" in split else None
