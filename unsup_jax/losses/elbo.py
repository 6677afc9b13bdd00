"""The evidence lower bound and its importance-weighted tightening.

* ELBO: log p(x) >= E_q[log p(x|z)] - KL(q(z|x) || p(z))
  (Kingma & Welling 2014, arXiv:1312.6114).
* beta-VAE: the KL term weighted by beta (Higgins et al. 2017, ICLR).
* Capacity objective: gamma * |KL - C| with C raised during training
  (Burgess et al. 2018, arXiv:1804.03599).
* IWAE bound with k samples:
  L_k = E[log (1/k) sum_i p(x, z_i) / q(z_i|x)], with L_1 = ELBO,
  L_k <= L_{k+1} <= log p(x) (Burda et al. 2016, arXiv:1509.00519); with large k
  it estimates the test log-likelihood.
"""

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp


def negative_elbo(log_likelihood: jax.Array, kl: jax.Array, *,
                  beta: float | jax.Array = 1.0,
                  capacity: float | jax.Array | None = None,
                  gamma: float = 1000.0) -> tuple[jax.Array, dict]:
  """The (beta- or capacity-weighted) negative ELBO, averaged over the batch.

  Args:
    log_likelihood: `[B]` single-sample estimates of E_q[log p(x|z)].
    kl: `[B]` KL(q(z|x) || p(z)).
    beta: KL weight (1 gives the plain ELBO). Ignored when `capacity` is set.
    capacity: target KL C in nats; when given the objective is
      -log p(x|z) + gamma * |KL - C| (Burgess et al. 2018).
    gamma: weight of the capacity term.

  Returns:
    (loss, metrics) where metrics has `loss`, `loss_rec` (mean -log p(x|z)),
    `loss_kl` (mean KL) and `elbo` (mean unweighted ELBO).
  """
  rec = -jnp.mean(log_likelihood)
  mean_kl = jnp.mean(kl)
  if capacity is None:
    loss = rec + beta * mean_kl
  else:
    loss = rec + gamma * jnp.abs(mean_kl - capacity)
  return loss, {"loss": loss, "loss_rec": rec, "loss_kl": mean_kl,
                "elbo": -(rec + mean_kl)}


def iwae_bound(log_p_x_given_z: jax.Array, log_p_z: jax.Array,
               log_q_z: jax.Array) -> jax.Array:
  """The importance-weighted bound from k samples per example.

  Args:
    log_p_x_given_z: `[K, B]` log p(x | z_k).
    log_p_z: `[K, B]` log p(z_k).
    log_q_z: `[K, B]` log q(z_k | x).

  Returns:
    `[B]` values of L_K = logsumexp_k(log w_k) - log K, a lower bound on
    log p(x).
  """
  log_w = log_p_x_given_z + log_p_z - log_q_z
  return logsumexp(log_w, axis=0) - math.log(log_w.shape[0])


def merge_log_weight_chunks(log_sum_exps: jax.Array, total: int) -> jax.Array:
  """Combines per-chunk logsumexp(log w) into the bound over all samples.

  Lets a k = 1000 bound be computed in chunks of samples without holding
  every sample in memory at once.

  Args:
    log_sum_exps: `[C, B]` logsumexp of log-weights within each chunk.
    total: total number of samples k over all chunks.

  Returns:
    `[B]` the bound L_k.
  """
  return logsumexp(log_sum_exps, axis=0) - math.log(total)
