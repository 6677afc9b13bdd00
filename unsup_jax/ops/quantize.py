"""Vector quantisation: nearest codes, straight-through, EMA codebooks.

The codebook maths of VQ-VAE (van den Oord et al. 2017, "Neural Discrete
Representation Learning", arXiv:1711.00937): each encoder output z is
replaced by its nearest codebook row e_k; gradients pass straight through
(z + stop_gradient(e_k - z)); the codebook is learned either by the codebook
loss (`losses/vq.py`) or by exponential moving averages of the assigned
points (Appendix A.1), with Laplace smoothing of the counts. Under pmap the
EMA statistics are summed over devices so every device keeps the same
codebook. Pure functions; no Flax.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp

from unsup_jax.ops import averaging


def _dot(a: jax.Array, b: jax.Array) -> jax.Array:
  """a @ b in full float32: GPUs (TF32) and TPUs (bfloat16 passes) would
  otherwise round the operands, enough to pick the wrong nearest code when
  two codes are almost equally close and to blur the EMA sums."""
  return jnp.matmul(a, b, precision=jax.lax.Precision.HIGHEST)


def squared_distances(z: jax.Array, codebook: jax.Array) -> jax.Array:
  """||z_n - e_k||^2 without a `[N, K, D]` tensor.

  Args:
    z: `[N, D]` vectors.
    codebook: `[K, D]` codes.

  Returns:
    `[N, K]` squared distances, via ||z||^2 - 2 z.e + ||e||^2.
  """
  return (jnp.sum(jnp.square(z), axis=1, keepdims=True)
          - 2.0 * _dot(z, codebook.T)
          + jnp.sum(jnp.square(codebook), axis=1)[None, :])


def nearest_code(z: jax.Array, codebook: jax.Array) -> jax.Array:
  """`[N, D]`, `[K, D]` -> `[N]` int32 index of the nearest code."""
  return jnp.argmin(squared_distances(z, codebook), axis=1).astype(jnp.int32)


def straight_through(z: jax.Array, quantized: jax.Array) -> jax.Array:
  """Forward: `quantized`; backward: the identity to `z`."""
  return z + jax.lax.stop_gradient(quantized - z)


def code_usage(indices: jax.Array, num_codes: int) -> jax.Array:
  """`[N]` indices -> `[K]` fraction of vectors assigned to each code."""
  counts = jnp.bincount(indices.reshape(-1), length=num_codes)
  return counts / jnp.maximum(jnp.sum(counts), 1)


def perplexity(usage: jax.Array) -> jax.Array:
  """exp(entropy) of the code distribution: K for uniform use, 1 for one."""
  p = usage / jnp.maximum(jnp.sum(usage), 1e-12)
  entropy = -jnp.sum(jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)),
                               0.0))
  return jnp.exp(entropy)


def quantize(z: jax.Array, codebook: jax.Array) -> dict:
  """Quantises `[..., D]` vectors with a `[K, D]` codebook.

  Returns:
    dict with `quantized` (`[..., D]`, straight-through to z), `codes`
    (`[..., D]` the codebook rows, no gradient path to z), `indices`
    (`[...]` int32), `usage` (`[K]`) and `perplexity` (scalar).
  """
  flat = z.reshape(-1, z.shape[-1])
  indices = nearest_code(flat, codebook)
  codes = codebook[indices].reshape(z.shape)
  usage = code_usage(indices, codebook.shape[0])
  return {"quantized": straight_through(z, codes), "codes": codes,
          "indices": indices.reshape(z.shape[:-1]), "usage": usage,
          "perplexity": perplexity(usage)}


class EMACodebook(NamedTuple):
  """Codebook learned by moving averages (not by gradients).

  Attributes:
    codebook: `[K, D]` current codes (= sums / smoothed counts).
    counts: `[K]` EMA of the number of vectors assigned to each code.
    sums: `[K, D]` EMA of the sum of the vectors assigned to each code.
  """
  codebook: jax.Array
  counts: jax.Array
  sums: jax.Array


def ema_init(codebook: jax.Array) -> EMACodebook:
  """Starts the averages as if each code had been assigned itself once."""
  return EMACodebook(codebook, jnp.ones(codebook.shape[0], codebook.dtype),
                     codebook)


def ema_update(state: EMACodebook, z: jax.Array, indices: jax.Array, *,
               decay: float = 0.99, epsilon: float = 1e-5,
               axis_name: str | None = None) -> EMACodebook:
  """One EMA step of the codebook towards the means of its assigned points.

  counts <- decay counts + (1 - decay) n_k, sums <- decay sums + (1 - decay)
  sum_{i: k_i = k} z_i, codebook = sums / laplace(counts), where Laplace
  smoothing keeps unused codes finite: (c + eps) / (n + K eps) * n.

  Args:
    state: current averages.
    z: `[N, D]` encoder outputs of this (local) batch.
    indices: `[N]` their assigned codes.
    decay: EMA decay.
    epsilon: Laplace smoothing.
    axis_name: pmap axis; the batch statistics are summed over it.

  Returns:
    The new `EMACodebook`.
  """
  one_hot = jax.nn.one_hot(indices, state.codebook.shape[0], dtype=z.dtype)
  batch_counts = jnp.sum(one_hot, axis=0)                    # [K]
  batch_sums = _dot(one_hot.T, z)                            # [K, D]
  if axis_name is not None:
    batch_counts = jax.lax.psum(batch_counts, axis_name)
    batch_sums = jax.lax.psum(batch_sums, axis_name)
  counts, sums = averaging.ema((state.counts, state.sums),
                               (batch_counts, batch_sums), decay)
  total = jnp.sum(counts)
  smoothed = (counts + epsilon) / (total + counts.shape[0] * epsilon) * total
  return EMACodebook(sums / smoothed[:, None], counts, sums)


def kmeans_plusplus(key: jax.Array, z: jax.Array, num_codes: int
                    ) -> jax.Array:
  """`[K, D]` k-means++ seeds of `z` `[N, D]` (Arthur & Vassilvitskii 2007,
  "k-means++: The Advantages of Careful Seeding"): a uniform first centre,
  then each next one drawn with probability proportional to its squared
  distance from the centres chosen so far."""
  n = z.shape[0]
  first_key, seed_key = jax.random.split(key)
  first = jax.random.randint(first_key, (), 0, n)
  centres = jnp.zeros((num_codes, z.shape[1]), z.dtype).at[0].set(z[first])
  d2 = jnp.sum(jnp.square(z - z[first]), axis=1)

  def seed(k, carry):
    centres, d2 = carry
    # Points already chosen have d2 = 0; if every point is a centre already
    # (fewer distinct points than K), fall back to uniform draws.
    logits = jnp.where(jnp.sum(d2) > 0, jnp.log(jnp.maximum(d2, 1e-30)), 0.0)
    i = jax.random.categorical(jax.random.fold_in(seed_key, k), logits)
    centres = centres.at[k].set(z[i])
    return centres, jnp.minimum(d2, jnp.sum(jnp.square(z - z[i]), axis=1))

  centres, _ = jax.lax.fori_loop(1, num_codes, seed, (centres, d2))
  return centres


def lloyd_step(z: jax.Array, centres: jax.Array) -> jax.Array:
  """One Lloyd iteration: every centre `[K, D]` moves to the mean of the
  points of `z` `[N, D]` nearest it; an empty cluster keeps its centre."""
  num_codes = centres.shape[0]
  one_hot = jax.nn.one_hot(nearest_code(z, centres), num_codes, dtype=z.dtype)
  counts = jnp.sum(one_hot, axis=0)
  means = _dot(one_hot.T, z) / jnp.maximum(counts, 1.0)[:, None]
  return jnp.where(counts[:, None] > 0, means, centres)


def kmeans(key: jax.Array, z: jax.Array, num_codes: int, *,
           iters: int = 10) -> jax.Array:
  """k-means centres of `z`: k-means++ seeding (`kmeans_plusplus`), then
  `iters` Lloyd iterations (`lloyd_step`). Used to start a codebook from
  encoder outputs (`kmeans_codebook`); `ops/clustering.py` has k-means with
  restarts and a stopping rule.

  Args:
    key: PRNG key.
    z: `[N, D]` points.
    num_codes: K, the number of centres.
    iters: Lloyd iterations.

  Returns:
    `[K, D]` centres.
  """
  centres = kmeans_plusplus(key, z, num_codes)
  return jax.lax.fori_loop(0, iters, lambda _, c: lloyd_step(z, c), centres)


def restart_candidates(key: jax.Array, pool: jax.Array,
                       num_codes: int) -> jax.Array:
  """`[K, D]` rows of `pool` (`[N, D]`), distinct when N >= K."""
  n = pool.shape[0]
  return pool[jax.random.choice(key, n, (num_codes,), replace=n < num_codes)]


class Codebook(NamedTuple):
  """The non-gradient state of one EMA quantiser.

  Attributes:
    ema: the moving averages and the codebook.
    unused: `[K]` int32, steps since each code was last assigned a vector.
  """
  ema: EMACodebook
  unused: jax.Array


def codebook_init(codebook: jax.Array) -> Codebook:
  return Codebook(ema_init(codebook), jnp.zeros(codebook.shape[0], jnp.int32))


def kmeans_codebook(key: jax.Array, z: jax.Array, num_codes: int, *,
                    iters: int = 10, count_scale: float = 1.0) -> Codebook:
  """A codebook started at the k-means centres of encoder outputs `z`.

  Args:
    key: PRNG key.
    z: `[N, D]` encoder outputs (e.g. a sample of the encoded training set).
    num_codes: K.
    iters: Lloyd iterations.
    count_scale: the EMA counts start at the cluster sizes times this (at
      least 1 each): e.g. (vectors per training batch) / N, so that the
      averages start with one batch's weight.

  Returns:
    The `Codebook`: centres, counts, sums = centres * counts, all in use.
  """
  centres = kmeans(key, z, num_codes, iters=iters)
  counts = jnp.bincount(nearest_code(z, centres), length=num_codes)
  counts = jnp.maximum(counts.astype(z.dtype) * count_scale, 1.0)
  return Codebook(EMACodebook(centres, counts, centres * counts[:, None]),
                  jnp.zeros(num_codes, jnp.int32))


def update_codebook(state: Codebook, key: jax.Array, z: jax.Array,
                    indices: jax.Array, *, decay: float = 0.99,
                    epsilon: float = 1e-5, restart_after: int = 0,
                    axis_name: str | None = None) -> Codebook:
  """One training step of an EMA codebook, with dead-code restarts.

  The EMA update (`ema_update`), then dead-code restarts: a code unused for
  `restart_after` steps in a row (0 = never) is re-seeded with a random
  encoder output of this batch (Dhariwal et al. 2020, "Jukebox",
  arXiv:2005.00341, Section 2.2), its averages reset to that one point.

  Every random choice is made from the gathered global batch with a key that
  is the same on every device, so all devices keep the identical codebook
  and the result equals a single-device step on the same global batch.

  Args:
    state: the codebook state.
    key: PRNG key, identical on every device.
    z: `[N, D]` encoder outputs of the local batch.
    indices: `[N]` their nearest codes (under `state`).
    decay, epsilon: EMA decay and Laplace smoothing.
    restart_after: steps of disuse before a restart; 0 disables restarts.
    axis_name: pmap axis, or None.

  Returns:
    The new `Codebook`.
  """
  num_codes = state.ema.codebook.shape[0]
  ema = ema_update(state.ema, z, indices, decay=decay, epsilon=epsilon,
                   axis_name=axis_name)
  used = jnp.bincount(indices.reshape(-1), length=num_codes)
  if axis_name is not None:
    used = jax.lax.psum(used, axis_name)
  unused = jnp.where(used > 0, 0, state.unused + 1)
  if restart_after <= 0:
    return Codebook(ema, unused)
  pool = z
  if axis_name is not None:
    pool = jax.lax.all_gather(z, axis_name).reshape(-1, z.shape[-1])
  dead = unused >= restart_after
  fresh = restart_candidates(key, pool, num_codes)
  pick = lambda new, old: jnp.where(dead[:, None], new, old)
  ema = EMACodebook(pick(fresh, ema.codebook),
                    jnp.where(dead, 1.0, ema.counts),
                    pick(fresh, ema.sums))
  return Codebook(ema, jnp.where(dead, 0, unused))
