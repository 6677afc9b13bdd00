"""Importance-sampled log-likelihood of latent-variable models.

log p(x) ~= L_k = log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x),
the IWAE bound of Burda et al. (2016), arXiv:1509.00519, which tightens as k
grows; with k = 1000 it is the standard test-NLL estimate for VAEs on MNIST.
Samples are drawn in chunks (a `lax.scan`) so memory stays at
`chunk * batch` decoder outputs.
"""

from typing import Callable

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

from unsup_jax.losses import elbo
from unsup_jax.ops import distributions


def iwae_log_likelihood(key: jax.Array, x: jax.Array, mean: jax.Array,
                        logvar: jax.Array,
                        log_likelihood_fn: Callable[[jax.Array, jax.Array],
                                                    jax.Array],
                        *, num_samples: int, chunk: int) -> jax.Array:
  """L_k for a diagonal-Gaussian posterior and a standard-normal prior.

  Args:
    key: PRNG key.
    x: `[B, ...]` data.
    mean, logvar: `[B, D]` posterior parameters q(z|x).
    log_likelihood_fn: `(x [B, ...], z [B, D]) -> log p(x|z) [B]`.
    num_samples: k (a multiple of `chunk`).
    chunk: samples drawn per scan iteration.

  Returns:
    `[B]` lower bounds on log p(x) (nats).
  """
  if num_samples < 1 or chunk < 1:
    raise ValueError(f"num_samples ({num_samples}) and chunk ({chunk}) must "
                     "be positive")
  chunk = min(chunk, num_samples)
  num_chunks = num_samples // chunk
  if num_chunks * chunk != num_samples:
    raise ValueError(f"num_samples {num_samples} is not a multiple of {chunk}")

  def one_chunk(_, chunk_key):
    eps = jax.random.normal(chunk_key, (chunk,) + mean.shape, mean.dtype)
    z = mean + jnp.exp(0.5 * logvar) * eps                      # [C, B, D]
    log_q = distributions.gaussian_log_prob(z, mean, logvar, batch_ndim=2)
    log_prior = distributions.standard_normal_log_prob(z, batch_ndim=2)
    log_px = jax.vmap(lambda zc: log_likelihood_fn(x, zc))(z)   # [C, B]
    return None, logsumexp(log_px + log_prior - log_q, axis=0)

  _, per_chunk = jax.lax.scan(one_chunk, None,
                              jax.random.split(key, num_chunks))
  return elbo.merge_log_weight_chunks(per_chunk, num_samples)


def active_units(posterior_means: jax.Array, *,
                 threshold: float = 0.01) -> jax.Array:
  """Number of latent units whose posterior mean varies across the data.

  A_u = Var_x(E_q[z_u | x]) > threshold (Burda et al. 2016, Section 5.2).

  Args:
    posterior_means: `[N, D]` E_q[z | x] over a data set.
    threshold: activity threshold.

  Returns:
    Scalar int32 count.
  """
  return jnp.sum(jnp.var(posterior_means, axis=0) > threshold)


def mutual_information(key: jax.Array, mean: jax.Array,
                       logvar: jax.Array) -> jax.Array:
  """I(x; z) under q(x, z) = p_data(x) q(z|x), estimated over a data set.

  I = E_x E_q(z|x) [log q(z|x)] - E_q(z) [log q(z)], the first term in
  closed form (minus the Gaussian entropy), the second with one z per
  example and the aggregate posterior q(z) = (1/N) sum_n q(z|x_n) over the
  same N examples: the estimator of He et al. (2019), "Lagging Inference
  Networks and Posterior Collapse in Variational Autoencoders",
  arXiv:1901.05534. It is at most log N, and 0 when q(z|x) ignores x.

  Args:
    key: PRNG key of the samples.
    mean, logvar: `[N, D]` posteriors of N examples.

  Returns:
    Scalar estimate (nats).
  """
  n, d = mean.shape
  neg_entropy = jnp.mean(-0.5 * d * jnp.log(2 * jnp.pi)
                         - 0.5 * jnp.sum(1.0 + logvar, axis=-1))
  z = mean + jnp.exp(0.5 * logvar) * jax.random.normal(key, mean.shape)
  log_q = jax.vmap(lambda zi: distributions.gaussian_log_prob(
      jnp.broadcast_to(zi, mean.shape), mean, logvar))(z)     # [N z, N x]
  log_qz = logsumexp(log_q, axis=1) - jnp.log(n)
  return neg_entropy - jnp.mean(log_qz)
