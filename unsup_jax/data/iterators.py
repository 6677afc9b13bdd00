"""Deterministic numpy batch iterators, sharded by process.

A batch is a pure function of (seed, position), `batch_at(position)`:
epoch `e` visits the examples in the order
`default_rng([*seed, e]).permutation(N)`, the remainder that does not fill
a global batch is dropped, and process `i` of `P` takes rows
`[i * B / P, (i + 1) * B / P)` of each global batch of size `B`. A run that
resumes at a stream's position (the training loop keeps it in its
checkpoints) therefore draws exactly what an uninterrupted one does,
whatever the number of processes. Batches are dicts of the features given
(`image`, `label`, ...).
"""

from typing import Mapping, Sequence

import numpy as np

from unsup_jax.errors import UserError


def _check_int(name: str, value, minimum: int) -> int:
  if (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or
      value < minimum):
    raise UserError(f"{name} must be an integer >= {minimum}, got {value!r}")
  return int(value)


class BatchIterator:
  """This process's shard of every global batch, by position (epochs
  repeat): the `training.contract.BatchSource` of image, sequence and
  sentence streams.

  Attributes:
    batches_per_epoch: N // global_batch_size (the remainder is dropped).
  """

  def __init__(self, features: Mapping[str, np.ndarray], *,
               global_batch_size: int, seed: int | Sequence[int],
               process_index: int = 0, process_count: int = 1,
               name: str = "train"):
    """Args:
      features: name -> `[N, ...]` array, all with the same N.
      global_batch_size: examples per step summed over all processes.
      seed: non-negative seed (or sequence of them) of the order.
      process_index: this process, in [0, process_count).
      process_count: number of processes sharing each global batch.
      name: the stream's name, for messages.

    Raises:
      UserError: a bad batch size, seed or process index/count, or a batch
        larger than the data.
    """
    seeds = (seed,) if np.ndim(seed) == 0 else tuple(seed)
    self._seed = tuple(_check_int("seed", s, 0) for s in seeds)
    self._global_batch_size = _check_int(
        f"batch size of stream {name!r}", global_batch_size, 1)
    process_count = _check_int("process_count", process_count, 1)
    process_index = _check_int("process_index", process_index, 0)
    if process_index >= process_count:
      raise UserError(f"process_index {process_index} must be below "
                      f"process_count {process_count}")
    if self._global_batch_size % process_count:
      raise UserError(
          f"global batch size {self._global_batch_size} of stream {name!r} "
          f"is not divisible by the process count {process_count}")
    if not features:
      raise ValueError("a batch iterator needs at least one feature")
    sizes = {k: len(v) for k, v in features.items()}
    if len(set(sizes.values())) != 1:
      raise ValueError(f"features of different lengths: {sizes}")
    self._features = dict(features)
    self.num_examples = next(iter(sizes.values()))
    self.batches_per_epoch = self.num_examples // self._global_batch_size
    if self.batches_per_epoch == 0:
      raise UserError(
          f"global batch size {self._global_batch_size} of stream {name!r} "
          f"is larger than its data ({self.num_examples} examples)")
    local = self._global_batch_size // process_count
    self._lo, self._hi = process_index * local, (process_index + 1) * local
    self._epoch = -1
    self._perm = None

  @property
  def global_batch_size(self) -> int:
    return self._global_batch_size

  def _permutation(self, epoch: int) -> np.ndarray:
    if epoch != self._epoch:
      self._perm = np.random.default_rng([*self._seed, epoch]).permutation(
          self.num_examples)
      self._epoch = epoch
    return self._perm

  def batch_at(self, position: int) -> dict:
    """This process's shard of the global batch at `position`.

    Args:
      position: index of the global batch, counted from the start.

    Returns:
      name -> `[B_local, ...]` array, for every feature.
    """
    epoch, step = divmod(position, self.batches_per_epoch)
    start = step * self._global_batch_size
    rows = self._permutation(epoch)[start + self._lo:start + self._hi]
    return {k: v[rows] for k, v in self._features.items()}
