"""Regularisers of the disentangling VAEs, as pure functions of a batch's
posteriors `q(z|x) = N(mean, exp(logvar))` `[B, D]` (and samples `z`).

* β-TCVAE (Chen et al. 2018, arXiv:1802.04942): the KL term split into
  index-code mutual information, total correlation and dimension-wise KL,
  E[log q(z|x) - log q(z)] + E[log q(z) - sum_d log q(z_d)] +
  E[sum_d log q(z_d) - log p(z_d)], each weighted on its own (alpha, beta,
  gamma; the paper's β-TCVAE is 1, β, 1). The aggregate posterior q(z) =
  (1/N) sum_n q(z|x_n) over the N training examples is estimated from the
  batch (`log_aggregate_posterior`).
* DIP-VAE (Kumar et al. 2018, arXiv:1711.00848): the covariance of the
  inferred codes pushed to the identity, off-diagonal entries weighted
  lambda_od and diagonal ones lambda_d. DIP-VAE-I uses the covariance of
  the posterior means; DIP-VAE-II the covariance of q(z) itself (that plus
  the mean posterior variance).
* FactorVAE (Kim & Mnih 2018, arXiv:1802.05983): the total correlation
  estimated by the density-ratio trick, a discriminator telling codes of
  q(z) from codes whose units are shuffled across the batch
  (`permute_dims`, `density_ratio_tc`); the discriminator's loss is the
  GAN's (`losses/adversarial.py`).
* Ada-GVAE / Ada-ML-VAE (Locatello et al. 2020, arXiv:2002.02886): for
  a pair of images sharing some factors, the units whose two posteriors
  are closest in KL are taken as shared (`adaptive_shared_units`) and
  replaced by an aggregate of the two (`aggregate_posteriors`).
"""

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

ESTIMATORS = ("mws", "mss")


def _pairwise_log_density(z, mean, logvar):
  """`[B, B, D]` log N(z_i,d; mean_j,d, var_j,d)."""
  z, mean, logvar = z[:, None], mean[None], logvar[None]
  return -0.5 * (math.log(2 * math.pi) + logvar +
                 jnp.square(z - mean) * jnp.exp(-logvar))


def _log_weights(batch_size: int, dataset_size: int, estimator: str):
  """`[B, B]` log importance weight of example j's posterior in the estimate
  of q(z_i).

  "mws" (minibatch weighted sampling, the paper's main estimator): every
  weight 1 / (N B). "mss" (minibatch stratified sampling): the example z_i
  came from weighs 1 / N and each of the B - 1 others (N - 1) / (N (B - 1)),
  which makes the estimate of q(z_i) unbiased, and exact when the batch is
  the whole training set (B = N).
  """
  n, b = float(dataset_size), batch_size
  if estimator == "mws":
    return jnp.full((b, b), -math.log(n * b))
  if b == 1:
    return jnp.full((1, 1), -math.log(n))
  other = math.log((n - 1) / (n * (b - 1))) if n > 1 else -jnp.inf
  return jnp.where(jnp.eye(b, dtype=bool), -math.log(n), other)


def log_aggregate_posterior(z, mean, logvar, dataset_size: int,
                            estimator: str = "mws"):
  """`(log q(z_i) [B], log q(z_i,d) [B, D])`: the aggregate posterior and
  its marginals at each sample, estimated from the batch."""
  if estimator not in ESTIMATORS:
    raise ValueError(f"unknown estimator {estimator!r}; choose from "
                     f"{', '.join(ESTIMATORS)}")
  log_q = _pairwise_log_density(z, mean, logvar)               # [B, B, D]
  w = _log_weights(z.shape[0], dataset_size, estimator)[..., None]
  joint = logsumexp(log_q.sum(-1, keepdims=True) + w, axis=1)[:, 0]
  marginals = logsumexp(log_q + w, axis=1)
  return joint, marginals


def tc_decomposition(z, mean, logvar, dataset_size: int,
                     estimator: str = "mws") -> dict:
  """Batch means of the three terms of the KL (nats): `mutual_info`,
  `total_correlation`, `dimensionwise_kl`. Their sum is the batch mean of
  log q(z|x) - log p(z) at the samples (a one-sample estimate of the
  KL), whatever the estimator."""
  log_qz_x = jnp.sum(-0.5 * (math.log(2 * math.pi) + logvar +
                             jnp.square(z - mean) * jnp.exp(-logvar)), -1)
  log_qz, log_qzd = log_aggregate_posterior(z, mean, logvar, dataset_size,
                                            estimator)
  log_pzd = -0.5 * (math.log(2 * math.pi) + jnp.square(z))
  return {"mutual_info": jnp.mean(log_qz_x - log_qz),
          "total_correlation": jnp.mean(log_qz - log_qzd.sum(-1)),
          "dimensionwise_kl": jnp.mean(jnp.sum(log_qzd - log_pzd, -1))}


def tcvae_penalty(z, mean, logvar, dataset_size: int, *, alpha: float = 1.0,
                  beta: float = 6.0, gamma: float = 1.0,
                  estimator: str = "mws"):
  """`(alpha MI + beta TC + gamma DWKL, terms)`: β-TCVAE's replacement of
  the KL term."""
  t = tc_decomposition(z, mean, logvar, dataset_size, estimator)
  penalty = (alpha * t["mutual_info"] + beta * t["total_correlation"] +
             gamma * t["dimensionwise_kl"])
  return penalty, t


def _covariance(x):
  centred = x - jnp.mean(x, axis=0, keepdims=True)
  return centred.T @ centred / x.shape[0]


def dip_penalty(mean, logvar, *, kind: str = "i", lambda_od: float = 10.0,
                lambda_d: float = 100.0):
  """`(penalty, covariance [D, D])`: lambda_od * sum of squared off-diagonal
  entries + lambda_d * sum of squared (diagonal - 1), of Cov[mean] (kind
  "i") or Cov_q(z)[z] = Cov[mean] + E[diag(var)] (kind "ii")."""
  cov = _covariance(mean)
  if kind == "ii":
    cov = cov + jnp.diag(jnp.mean(jnp.exp(logvar), axis=0))
  elif kind != "i":
    raise ValueError(f"DIP-VAE kind must be 'i' or 'ii', got {kind!r}")
  diag = jnp.diagonal(cov)
  off = cov - jnp.diag(diag)
  penalty = lambda_od * jnp.sum(jnp.square(off)) + lambda_d * jnp.sum(
      jnp.square(diag - 1.0))
  return penalty, cov


def permute_dims(key, z):
  """`[B, D]` codes with each unit shuffled across the batch independently:
  samples of the product of q(z)'s marginals (Kim & Mnih 2018, Alg. 1)."""
  keys = jax.random.split(key, z.shape[1])
  return jax.vmap(lambda k, col: jax.random.permutation(k, col),
                  in_axes=(0, 1), out_axes=1)(keys, z)


def density_ratio_tc(logits):
  """FactorVAE's estimate of the total correlation KL(q(z) || prod_d
  q(z_d)) from a discriminator's logits log D(z) / (1 - D(z)) on codes of
  q(z) (D = probability that z is not permuted): their batch mean."""
  return jnp.mean(logits)


def kl_per_unit(mean_a, logvar_a, mean_b, logvar_b):
  """`[B, D]` KL(q_a(z_d) || q_b(z_d)) of diagonal Gaussians, per unit."""
  return 0.5 * (logvar_b - logvar_a + (jnp.exp(logvar_a) +
                                       jnp.square(mean_a - mean_b)) *
                jnp.exp(-logvar_b) - 1.0)


def adaptive_shared_units(mean_a, logvar_a, mean_b, logvar_b):
  """`[B, D]` bool: the units a pair's two posteriors are taken to share
  (Locatello et al. 2020, Ada-GVAE): those whose per-unit KL is below the
  midpoint of the pair's largest and smallest, so that the number of shared
  factors need not be known. Not differentiated through."""
  kl = jax.lax.stop_gradient(kl_per_unit(mean_a, logvar_a, mean_b, logvar_b))
  tau = 0.5 * (kl.max(axis=1, keepdims=True) + kl.min(axis=1, keepdims=True))
  return kl < tau


def aggregate_posteriors(mean_a, logvar_a, mean_b, logvar_b, shared, *,
                         kind: str = "gvae"):
  """Both posteriors with their `shared` units replaced by one aggregate:
  "gvae" (Hosoya 2019): the average of the two Gaussians' means and
  variances; "mlvae" (Bouchacourt et al. 2018): their product (precisions
  added). Returns `(mean_a, logvar_a, mean_b, logvar_b)`."""
  var_a, var_b = jnp.exp(logvar_a), jnp.exp(logvar_b)
  if kind == "gvae":
    mean, var = 0.5 * (mean_a + mean_b), 0.5 * (var_a + var_b)
  elif kind == "mlvae":
    var = 1.0 / (1.0 / var_a + 1.0 / var_b)
    mean = var * (mean_a / var_a + mean_b / var_b)
  else:
    raise ValueError(f"aggregation must be 'gvae' or 'mlvae', got {kind!r}")
  logvar = jnp.log(var)
  pick = lambda new, old: jnp.where(shared, new, old)
  return (pick(mean, mean_a), pick(logvar, logvar_a), pick(mean, mean_b),
          pick(logvar, logvar_b))
