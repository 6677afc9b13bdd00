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


def squared_distances(z: jax.Array, codebook: jax.Array) -> jax.Array:
  """||z_n - e_k||^2 without a `[N, K, D]` tensor.

  Args:
    z: `[N, D]` vectors.
    codebook: `[K, D]` codes.

  Returns:
    `[N, K]` squared distances, via ||z||^2 - 2 z.e + ||e||^2.
  """
  return (jnp.sum(jnp.square(z), axis=1, keepdims=True)
          - 2.0 * z @ codebook.T
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
  batch_sums = one_hot.T @ z                                 # [K, D]
  if axis_name is not None:
    batch_counts = jax.lax.psum(batch_counts, axis_name)
    batch_sums = jax.lax.psum(batch_sums, axis_name)
  counts = decay * state.counts + (1 - decay) * batch_counts
  sums = decay * state.sums + (1 - decay) * batch_sums
  total = jnp.sum(counts)
  smoothed = (counts + epsilon) / (total + counts.shape[0] * epsilon) * total
  return EMACodebook(sums / smoothed[:, None], counts, sums)
