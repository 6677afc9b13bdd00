"""Deterministic, resumable numpy batch iterators, sharded by process.

A batch is a pure function of (seed, position): epoch `e` visits the examples
in the order `default_rng([seed, e]).permutation(N)`, the remainder that does
not fill a global batch is dropped, and process `i` of `P` takes rows
`[i * B / P, (i + 1) * B / P)` of each global batch of size `B`. Restoring a
position therefore replays exactly, whatever the number of processes.

Binarisation follows the stochastic binarisation of MNIST in Salakhutdinov
and Murray, "On the quantitative analysis of deep belief networks" (ICML
2008): each pixel intensity is the probability of a 1. "dynamic" draws fresh
bits for every batch; "static" draws them once.
"""

from typing import Iterator

import numpy as np

from unsup_jax.errors import UserError

BINARIZE_MODES = ("none", "dynamic", "static")
# Seed of the one-off draw behind binarize="static", so that every run (and
# any evaluation code calling `binarize_static`) sees the same binary images.
STATIC_BINARIZE_SEED = 0


def _check_int(name: str, value, minimum: int) -> int:
  if (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or
      value < minimum):
    raise UserError(f"{name} must be an integer >= {minimum}, got {value!r}")
  return int(value)


def _bernoulli(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """Samples float32 0/1 with P(1) = probs, drawn over the whole array."""
  return (rng.random(probs.shape, dtype=np.float32) < probs).astype(np.float32)


def binarize_static(images: np.ndarray, seed: int) -> np.ndarray:
  """Fixed stochastic binarisation.

  Args:
    images: [N, H, W, C] intensities in [0, 1].
    seed: seed of the draw; the same (images, seed) always gives the same bits.

  Returns:
    [N, H, W, C] float32 of 0s and 1s with P(1) equal to the intensity.
  """
  seed = _check_int("seed", seed, 0)
  rng = np.random.default_rng([seed, 2])
  return _bernoulli(np.asarray(images, np.float32), rng)


class BatchIterator:
  """Yields this process's shard of every global batch, forever (epochs repeat).

  Attributes:
    batches_per_epoch: N // global_batch_size (the remainder is dropped).
    position: number of global batches consumed so far.
  """

  def __init__(self, images: np.ndarray, labels: np.ndarray, *,
               global_batch_size: int, seed: int, binarize: str = "none",
               process_index: int = 0, process_count: int = 1):
    """Initialises the iterator at position 0.

    Args:
      images: [N, H, W, C] float intensities in [0, 1].
      labels: [N] integer labels.
      global_batch_size: examples per step summed over all processes.
      seed: non-negative seed of the order (and of dynamic binarisation).
      binarize: one of BINARIZE_MODES.
      process_index: this process, in [0, process_count).
      process_count: number of processes sharing each global batch.

    Raises:
      UserError: a bad batch size, seed, mode or process index/count.
    """
    self._seed = _check_int("seed", seed, 0)
    self._global_batch_size = _check_int(
        "global_batch_size", global_batch_size, 1)
    process_count = _check_int("process_count", process_count, 1)
    process_index = _check_int("process_index", process_index, 0)
    if process_index >= process_count:
      raise UserError(f"process_index {process_index} must be below "
                      f"process_count {process_count}")
    if self._global_batch_size % process_count:
      raise UserError(
          f"global batch size {self._global_batch_size} is not divisible by "
          f"the process count {process_count}")
    if binarize not in BINARIZE_MODES:
      raise UserError(f"unknown binarize mode '{binarize}'; choose "
                      f"{', '.join(BINARIZE_MODES)}")
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels, np.int32)
    if len(images) != len(labels):
      raise ValueError(f"{len(images)} images but {len(labels)} labels")
    self.batches_per_epoch = len(images) // self._global_batch_size
    if self.batches_per_epoch == 0:
      raise UserError(
          f"global batch size {self._global_batch_size} is larger than the "
          f"dataset ({len(images)} examples)")
    if binarize == "static":
      images = binarize_static(images, STATIC_BINARIZE_SEED)
    self._images = images
    self._labels = labels
    self._binarize = binarize
    local = self._global_batch_size // process_count
    self._lo, self._hi = process_index * local, (process_index + 1) * local
    self._epoch = -1
    self._perm = None
    self.position = 0

  def state(self) -> dict:
    """JSON-serialisable state: {"position": int}."""
    return {"position": int(self.position)}

  def restore(self, state: dict) -> None:
    """Continues from a `state()`; the next batch is the one at `position`."""
    if not isinstance(state, dict) or "position" not in state:
      raise UserError(f"iterator state must look like {{'position': int}}, "
                      f"got {state!r}")
    self.position = _check_int("iterator position", state["position"], 0)

  def __iter__(self) -> "BatchIterator":
    return self

  def __next__(self) -> dict:
    batch = self._batch(self.position)
    self.position += 1
    return batch

  def peek(self) -> dict:
    """The next batch, without advancing (e.g. to initialise a model)."""
    return self._batch(self.position)

  def _permutation(self, epoch: int) -> np.ndarray:
    if epoch != self._epoch:
      self._perm = np.random.default_rng([self._seed, epoch]).permutation(
          len(self._images))
      self._epoch = epoch
    return self._perm

  def _batch(self, position: int) -> dict:
    """This process's shard of the global batch at `position`.

    Args:
      position: index of the global batch, counted from the start.

    Returns:
      {"image": float32 [B_local, H, W, C], "label": int32 [B_local]}.
    """
    epoch, step = divmod(position, self.batches_per_epoch)
    start = step * self._global_batch_size
    rows = self._permutation(epoch)[start + self._lo:start + self._hi]
    images = self._images[rows]
    if self._binarize == "dynamic":
      # Draw for the whole global batch so the bits of each example do not
      # depend on how the batch is split among processes.
      rng = np.random.default_rng([self._seed, 1, position])
      noise = rng.random((self._global_batch_size,) + images.shape[1:],
                         dtype=np.float32)[self._lo:self._hi]
      images = (noise < images).astype(np.float32)
    return {"image": images, "label": self._labels[rows]}


def eval_batches(images: np.ndarray, labels: np.ndarray,
                 batch_size: int) -> Iterator[dict]:
  """Yields every example exactly once, in order.

  Args:
    images: [N, H, W, C] images.
    labels: [N] labels.
    batch_size: examples per batch; the last batch may be smaller.

  Yields:
    {"image": float32 [b, H, W, C], "label": int32 [b]} with b <= batch_size.

  Raises:
    UserError: a non-positive batch size.
  """
  batch_size = _check_int("batch_size", batch_size, 1)
  if len(images) != len(labels):
    raise ValueError(f"{len(images)} images but {len(labels)} labels")
  for start in range(0, len(images), batch_size):
    yield {"image": np.asarray(images[start:start + batch_size], np.float32),
           "label": np.asarray(labels[start:start + batch_size], np.int32)}
