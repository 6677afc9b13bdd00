"""Tests for the clustering baselines (`ops/clustering.py`): k-means and
EM for Gaussian mixtures against scikit-learn from the same start, and the
properties of EM."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
import sklearn.cluster
import sklearn.mixture

from unsup_jax.ops import clustering


@pytest.fixture(name="blobs", scope="module")
def _blobs():
  rng = np.random.default_rng(0)
  centres = rng.normal(0, 4, (5, 3))
  scales = rng.uniform(0.5, 1.5, (5, 3))
  labels = rng.integers(5, size=600)
  x = centres[labels] + scales[labels] * rng.normal(size=(600, 3))
  return x.astype(np.float32), labels


def test_lloyd_matches_scikit_learn_from_the_same_start(blobs):
  x, _ = blobs
  start = x[:5]
  ours = jax.jit(clustering.lloyd)(jnp.asarray(x), jnp.asarray(start))
  ref = sklearn.cluster.KMeans(5, init=start.astype(np.float64), n_init=1,
                               algorithm="lloyd", tol=1e-4).fit(
                                   x.astype(np.float64))
  np.testing.assert_allclose(float(ours.inertia), ref.inertia_, rtol=1e-4)
  np.testing.assert_allclose(np.asarray(ours.centres), ref.cluster_centers_,
                             atol=1e-3)
  np.testing.assert_array_equal(np.asarray(ours.labels), ref.labels_)


def test_kmeans_keeps_the_restart_of_lowest_inertia(blobs):
  x = jnp.asarray(blobs[0])
  fit = functools.partial(clustering.kmeans, num_clusters=5, max_iters=50)
  best = jax.jit(functools.partial(fit, restarts=8))(jax.random.key(3), x)
  singles = [jax.jit(functools.partial(fit, restarts=1))(k, x).inertia
             for k in jax.random.split(jax.random.key(3), 8)]
  # the 8 restarts are the 8 single runs of the same split keys
  np.testing.assert_allclose(float(best.inertia), float(min(singles)),
                             rtol=1e-6)
  np.testing.assert_allclose(float(best.inertia),
                             float(clustering.inertia(x, best.centres)),
                             rtol=1e-5)
  ref = sklearn.cluster.KMeans(5, n_init=10, random_state=0).fit(
      np.asarray(x, np.float64))
  assert float(best.inertia) <= ref.inertia_ * 1.01


def test_log_joint_is_the_weighted_normal_density(blobs):
  x = jnp.asarray(blobs[0][:20])
  rng = np.random.default_rng(1)
  a = rng.normal(size=(2, 3, 3))
  full = np.einsum("kij,klj->kil", a, a) + np.eye(3)
  variances = rng.uniform(0.5, 2.0, (2, 3))
  means = rng.normal(size=(2, 3)).astype(np.float32)
  weights = np.array([0.3, 0.7], np.float32)

  def expected(covs):
    return np.stack([np.log(weights[k]) + scipy.stats.multivariate_normal(
        means[k], covs[k]).logpdf(np.asarray(x)) for k in range(2)], axis=1)

  def ours(cov):
    gmm = clustering.GMM(jnp.asarray(weights), jnp.asarray(means),
                         jnp.asarray(cov, jnp.float32))
    return np.asarray(clustering.log_joint(x, gmm))

  np.testing.assert_allclose(ours(full), expected(full), rtol=1e-5,
                             atol=1e-4)
  diagonal = np.stack([np.diag(v) for v in variances])
  np.testing.assert_allclose(ours(variances), expected(diagonal), rtol=1e-5,
                             atol=1e-4)
  np.testing.assert_allclose(ours(diagonal), ours(variances), rtol=1e-5,
                             atol=1e-4)


@pytest.mark.parametrize("covariance", ["diag", "full"])
def test_em_matches_scikit_learn_from_the_same_start(blobs, covariance):
  x, _ = blobs
  xj = jnp.asarray(x)
  start = clustering.lloyd(xj, xj[:5], max_iters=3)
  init = clustering.gmm_from_labels(xj, start.labels, 5,
                                    covariance=covariance)
  fit = jax.jit(functools.partial(clustering.gmm_fit, max_iters=20,
                                  tol=0.0))(xj, init)
  cov = np.asarray(init.covariances, np.float64)
  precisions = (1.0 / cov if covariance == "diag"
                else np.linalg.inv(cov))
  ref = sklearn.mixture.GaussianMixture(
      5, covariance_type=covariance, max_iter=20, tol=0.0,
      weights_init=np.asarray(init.weights, np.float64),
      means_init=np.asarray(init.means, np.float64),
      precisions_init=precisions, reg_covar=1e-6)
  with pytest.warns(Warning):                     # "did not converge"
    ref.fit(x.astype(np.float64))
  assert int(fit.iterations) == ref.n_iter_ == 20
  np.testing.assert_allclose(float(fit.log_likelihood), ref.lower_bound_,
                             rtol=1e-4)
  np.testing.assert_allclose(np.asarray(fit.gmm.means), ref.means_,
                             atol=2e-3)
  np.testing.assert_allclose(np.asarray(fit.gmm.weights), ref.weights_,
                             atol=1e-4)
  np.testing.assert_allclose(np.asarray(fit.gmm.covariances),
                             ref.covariances_, rtol=1e-3, atol=1e-3)


def test_em_never_lowers_the_likelihood_and_stops_on_tol(blobs):
  xj = jnp.asarray(blobs[0])
  gmm = clustering.gmm_from_labels(xj, jnp.arange(600) % 5, 5,
                                   covariance="full")
  lls = []
  for _ in range(15):
    resp, ll = clustering.e_step(xj, gmm)
    gmm = clustering.m_step(xj, resp, covariance="full")
    lls.append(float(ll))
  assert np.all(np.diff(lls) >= -1e-4)
  fit = clustering.gmm(jax.random.key(0), xj, 5, covariance="full",
                       restarts=2, tol=1e-3)
  assert bool(fit.converged) and int(fit.iterations) < 100
  assert float(fit.log_likelihood) >= max(lls) - 1e-2
  np.testing.assert_allclose(float(jnp.sum(fit.gmm.weights)), 1.0, rtol=1e-5)


def test_fitted_mixture_recovers_the_blobs(blobs):
  x, labels = blobs
  from unsup_jax.eval import clustering as scores  # pylint: disable=g-import-not-at-top
  fit = clustering.gmm(jax.random.key(1), jnp.asarray(x), 5,
                       covariance="diag")
  found = np.asarray(clustering.predict(jnp.asarray(x), fit.gmm))
  assert scores.accuracy(found, labels) > 0.9


def test_m_step_rejects_an_unknown_covariance(blobs):
  x = jnp.asarray(blobs[0])
  with pytest.raises(ValueError, match="covariance"):
    clustering.m_step(x, jnp.ones((600, 2)) / 2, covariance="spherical")
