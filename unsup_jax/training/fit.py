"""Training a method in memory: for experiments that compare several models.

`fit_method` runs a method's compiled train step over a resumable iterator
on given arrays, with no workdir, checkpoints or logs: the building block of
composite experiments (AE vs PCA at several sizes, anomaly detection with one
model per held-out class). Single runs go through `training.loop.run`.
"""

import jax
import ml_collections
import numpy as np
import tqdm

from unsup_jax.data import iterators
from unsup_jax.methods import base, registry
from unsup_jax.methods.base import Method
from unsup_jax.training import config as config_lib, parallel


def fit_method(config: ml_collections.ConfigDict, images: np.ndarray,
               labels: np.ndarray, *, key: jax.Array | None = None,
               progress: bool = False, desc: str | None = None
               ) -> tuple[Method, object]:
  """Builds `config.method` and trains it on `images` for `train.num_steps`.

  Args:
    config: a full experiment config (its data section gives batch size and
      binarisation; `data.name` is not read).
    images: `[N, H, W, C]` training images in [0, 1].
    labels: `[N]` labels (used by methods that need them, else ignored).
    key: PRNG key (default `jax.random.key(config.seed)`).
    progress: show a progress bar.
    desc: its label.

  Returns:
    (method, final state) — the state is a host-side pytree.
  """
  config_lib.validate(config)
  method = registry.build(config, tuple(images.shape[1:]))
  key = jax.random.key(config.seed) if key is None else key
  if method.train_step is None:
    return method, method.fit(key, images, labels)
  data = iterators.BatchIterator(
      images, labels, global_batch_size=config.data.batch_size,
      seed=config.seed, binarize=config.data.binarize)
  phases = base.phases_of(method, config.train.num_steps)
  engines = [parallel.Engine(p.train_step, "jit") for p in phases]
  state = engines[0].put_state(method.init(key, data.peek()))
  total = sum(p.num_steps for p in phases)
  for step in tqdm.trange(1, total + 1, disable=not progress, desc=desc,
                          leave=False, mininterval=1.0):
    state, _ = engines[base.phase_at(phases, step)].step(state, next(data))
  return method, engines[0].get_state(state)
