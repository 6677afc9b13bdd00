"""Clustering baselines as pure JAX functions: k-means and Gaussian mixtures.

* k-means (Lloyd 1982) from k-means++ seeds (Arthur & Vassilvitskii 2007),
  `restarts` times, the run of lowest inertia (sum of squared distances to
  the nearest centre) kept, as scikit-learn's `KMeans` does. The stopping
  rule is scikit-learn's: the total squared shift of the centres falls to
  `tol` times the mean per-feature variance of the data. Unlike
  scikit-learn, an empty cluster keeps its centre instead of being moved to
  a far point.
* Gaussian mixture models fitted by expectation-maximisation (Dempster et
  al. 1977; Bishop 2006, section 9.2) with diagonal or full covariances,
  `reg_covar` added to every variance, started from hard k-means
  assignments, stopped when the mean log-likelihood changes by under `tol`,
  as scikit-learn's `GaussianMixture`.

Everything is a pure function of arrays (`jax.jit` them with the sizes
static); the seeds of the deep clustering methods (DEC's centres, VaDE's
prior) come from here.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp

from unsup_jax.ops import quantize

COVARIANCE_TYPES = ("diag", "full")


class KMeans(NamedTuple):
  """centres `[K, D]`, labels `[N]`, inertia (scalar), iterations run."""
  centres: jax.Array
  labels: jax.Array
  inertia: jax.Array
  iterations: jax.Array


def inertia(x: jax.Array, centres: jax.Array) -> jax.Array:
  """Sum over points of the squared distance to the nearest centre."""
  d2 = quantize.squared_distances(x, centres)
  return jnp.sum(jnp.maximum(jnp.min(d2, axis=1), 0.0))


def lloyd(x: jax.Array, centres: jax.Array, *, max_iters: int = 300,
          tol: float = 1e-4) -> KMeans:
  """Lloyd iterations from `centres` `[K, D]` on `x` `[N, D]` until the
  squared centre shift is at most `tol * mean(var(x, axis=0))`, or
  `max_iters`; labels and inertia are those of the final centres."""
  threshold = tol * jnp.mean(jnp.var(x, axis=0))

  def cond(carry):
    _, shift, i = carry
    return (i < max_iters) & (shift > threshold)

  def body(carry):
    c, _, i = carry
    new = quantize.lloyd_step(x, c)
    return new, jnp.sum(jnp.square(new - c)), i + 1

  centres, _, iters = jax.lax.while_loop(
      cond, body, (centres, jnp.asarray(jnp.inf, x.dtype), jnp.asarray(0)))
  return KMeans(centres, quantize.nearest_code(x, centres),
                inertia(x, centres), iters)


def kmeans(key: jax.Array, x: jax.Array, num_clusters: int, *,
           restarts: int = 10, max_iters: int = 300,
           tol: float = 1e-4) -> KMeans:
  """k-means of `x` `[N, D]`: `restarts` runs of `lloyd` from k-means++
  seeds (`quantize.kmeans_plusplus`), the one of lowest inertia kept.
  `num_clusters`, `restarts` and `max_iters` are static under jit."""
  def one(k):
    return lloyd(x, quantize.kmeans_plusplus(k, x, num_clusters),
                 max_iters=max_iters, tol=tol)

  runs = jax.vmap(one)(jax.random.split(key, restarts))
  best = jnp.argmin(runs.inertia)
  return jax.tree.map(lambda a: a[best], runs)


class GMM(NamedTuple):
  """weights `[K]`, means `[K, D]`, covariances `[K, D]` (diagonal) or
  `[K, D, D]` (full)."""
  weights: jax.Array
  means: jax.Array
  covariances: jax.Array


def covariance_type(gmm: GMM) -> str:
  return "full" if gmm.covariances.ndim == 3 else "diag"


def log_joint(x: jax.Array, gmm: GMM) -> jax.Array:
  """`[N, K]` log w_k + log N(x_n; mu_k, Sigma_k)."""
  d = x.shape[1]
  diff = x[:, None, :] - gmm.means[None]                       # [N, K, D]
  if covariance_type(gmm) == "diag":
    var = gmm.covariances
    maha = jnp.sum(jnp.square(diff) / var[None], axis=-1)
    log_det = jnp.sum(jnp.log(var), axis=-1)
  else:
    chol = jnp.linalg.cholesky(gmm.covariances)                # [K, D, D]
    solved = jax.vmap(
        lambda l, r: jax.scipy.linalg.solve_triangular(l, r.T, lower=True),
        in_axes=(0, 1))(chol, diff)                            # [K, D, N]
    maha = jnp.sum(jnp.square(solved), axis=1).T
    log_det = 2.0 * jnp.sum(jnp.log(jnp.diagonal(chol, axis1=1, axis2=2)),
                            axis=-1)
  log_normal = -0.5 * (d * jnp.log(2.0 * jnp.pi) + log_det[None] + maha)
  return jnp.log(gmm.weights)[None] + log_normal


def e_step(x: jax.Array, gmm: GMM) -> tuple[jax.Array, jax.Array]:
  """`(responsibilities [N, K], mean log-likelihood of x)`."""
  joint = log_joint(x, gmm)
  log_px = jax.nn.logsumexp(joint, axis=1)
  return jnp.exp(joint - log_px[:, None]), jnp.mean(log_px)


def m_step(x: jax.Array, resp: jax.Array, *, covariance: str = "diag",
           reg_covar: float = 1e-6) -> GMM:
  """The mixture of maximum expected likelihood under responsibilities
  `resp` `[N, K]`, with `reg_covar` added to every variance."""
  if covariance not in COVARIANCE_TYPES:
    raise ValueError(f"covariance must be one of {COVARIANCE_TYPES}, got "
                     f"{covariance!r}")
  counts = jnp.sum(resp, axis=0) + 10 * jnp.finfo(x.dtype).eps   # [K]
  means = (resp.T @ x) / counts[:, None]
  diff = x[:, None, :] - means[None]                            # [N, K, D]
  if covariance == "diag":
    cov = jnp.einsum("nk,nkd->kd", resp, jnp.square(diff)) / counts[:, None]
    cov = cov + reg_covar
  else:
    cov = jnp.einsum("nk,nkd,nke->kde", resp, diff, diff) / counts[:, None,
                                                                   None]
    cov = cov + reg_covar * jnp.eye(x.shape[1], dtype=x.dtype)
  return GMM(counts / x.shape[0], means, cov)


def gmm_from_labels(x: jax.Array, labels: jax.Array, num_clusters: int, *,
                    covariance: str = "diag",
                    reg_covar: float = 1e-6) -> GMM:
  """The M-step of hard assignments `labels` `[N]` (e.g. k-means')."""
  resp = jax.nn.one_hot(labels, num_clusters, dtype=x.dtype)
  return m_step(x, resp, covariance=covariance, reg_covar=reg_covar)


class GMMFit(NamedTuple):
  """The fitted mixture, its last E-step's mean log-likelihood, the
  iterations run and whether the change fell under `tol`."""
  gmm: GMM
  log_likelihood: jax.Array
  iterations: jax.Array
  converged: jax.Array


def gmm_fit(x: jax.Array, init: GMM, *, max_iters: int = 100,
            tol: float = 1e-3, reg_covar: float = 1e-6) -> GMMFit:
  """EM from `init`: each iteration an E-step (its mean log-likelihood is
  the one reported) then an M-step, until the log-likelihood changes by
  under `tol` or `max_iters` iterations (scikit-learn's loop)."""
  covariance = covariance_type(init)

  def cond(carry):
    _, ll, prev, i = carry
    return (i < max_iters) & (jnp.abs(ll - prev) >= tol)

  def body(carry):
    gmm, ll, _, i = carry
    resp, new_ll = e_step(x, gmm)
    return (m_step(x, resp, covariance=covariance, reg_covar=reg_covar),
            new_ll, ll, i + 1)

  inf = jnp.asarray(jnp.inf, x.dtype)
  gmm, ll, prev, iters = jax.lax.while_loop(
      cond, body, (init, -inf, inf, jnp.asarray(0)))
  return GMMFit(gmm, ll, iters, jnp.abs(ll - prev) < tol)


def gmm(key: jax.Array, x: jax.Array, num_clusters: int, *,
        covariance: str = "diag", restarts: int = 10, max_iters: int = 100,
        tol: float = 1e-3, reg_covar: float = 1e-6) -> GMMFit:
  """A mixture of `num_clusters` Gaussians fitted to `x` `[N, D]` by EM,
  started from the best of `restarts` k-means runs (`kmeans`)."""
  start = kmeans(key, x, num_clusters, restarts=restarts)
  init = gmm_from_labels(x, start.labels, num_clusters,
                         covariance=covariance, reg_covar=reg_covar)
  return gmm_fit(x, init, max_iters=max_iters, tol=tol, reg_covar=reg_covar)


def predict(x: jax.Array, gmm: GMM) -> jax.Array:
  """`[N]` the component of highest responsibility."""
  return jnp.argmax(log_joint(x, gmm), axis=1)
