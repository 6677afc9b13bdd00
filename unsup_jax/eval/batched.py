"""Applying a jitted function to a whole data set in fixed-size batches."""

from typing import Callable

import jax
import numpy as np


def map_batches(fn: Callable, *arrays: np.ndarray, batch_size: int,
                key: jax.Array | None = None):
  """Calls `fn(*batch)` (or `fn(key_i, *batch)`) over leading-axis batches.

  The last batch is padded to `batch_size` so `fn` compiles once; padding rows
  are dropped from the outputs. Data smaller than one batch is one batch of
  its own size, not padded (callers that ask for a few fixed small sizes,
  such as the disentanglement metrics, compile each once).

  Returns:
    The outputs (a pytree of arrays) concatenated over the data set, as numpy.
  """
  n = arrays[0].shape[0]
  batch_size = max(1, min(batch_size, n))
  outs = []
  for i, start in enumerate(range(0, n, batch_size)):
    batch = [a[start:start + batch_size] for a in arrays]
    real = batch[0].shape[0]
    if real < batch_size:
      batch = [np.concatenate([b, np.repeat(b[-1:], batch_size - real, 0)])
               for b in batch]
    args = batch if key is None else [jax.random.fold_in(key, i)] + batch
    out = jax.device_get(fn(*args))
    outs.append(jax.tree.map(lambda o, r=real: np.asarray(o)[:r], out))
  return jax.tree.map(lambda *xs: np.concatenate(xs, axis=0), *outs)
