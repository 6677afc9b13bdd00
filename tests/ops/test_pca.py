"""Properties of ops/pca.py against independent computations (numpy, sklearn)."""

import chex
import numpy as np
import pytest
from sklearn.decomposition import PCA

from unsup_jax.data import sources
from unsup_jax.ops import pca


def _data(n, d, seed=0, offset=0.0):
  """`[n, d]` float32 data with a well-separated spectrum."""
  rng = np.random.default_rng(seed)
  scales = 3.0 * 0.7 ** np.arange(d)
  basis, _ = np.linalg.qr(rng.normal(size=(d, d)))
  x = (rng.normal(size=(n, d)) * scales) @ basis.T + offset
  return x.astype(np.float32)


@pytest.fixture(scope="module")
def mnist():
  data = sources.load("mnist5k")
  flat = lambda a: np.asarray(a, np.float32).reshape(len(a), -1)
  return flat(data.split("train")["image"]), flat(data.split("test")["image"])


def test_components_are_orthonormal():
  state = pca.fit(_data(60, 12), 12)
  c = np.asarray(state.components)
  chex.assert_shape(c, (12, 12))
  np.testing.assert_allclose(c @ c.T, np.eye(12), atol=1e-5)
  assert np.all(np.diff(np.asarray(state.explained_variance)) <= 0)


@pytest.mark.parametrize("n, d, k", [(60, 12, 12), (9, 20, 8)])
def test_ratios_over_all_components_sum_to_one(n, d, k):
  """K = D when N > D; K = N - 1 (the rank of centred data) when N <= D."""
  x = _data(n, d, seed=1)
  state = pca.fit(x, k)
  np.testing.assert_allclose(np.sum(state.explained_variance_ratio), 1.0,
                             rtol=1e-5)
  # The total is the trace of the unbiased covariance.
  np.testing.assert_allclose(state.total_variance,
                             np.var(x.astype(np.float64), 0, ddof=1).sum(),
                             rtol=1e-5)


def test_explained_variance_is_the_variance_of_the_codes():
  x = _data(200, 10, seed=2)
  state = pca.fit(x, 4)
  z = np.asarray(pca.transform(state, x), np.float64)
  np.testing.assert_allclose(state.explained_variance, np.var(z, 0, ddof=1),
                             rtol=1e-4)
  np.testing.assert_allclose(state.mean, x.mean(0), atol=1e-5)
  assert int(state.num_examples) == 200


def test_sign_convention_is_deterministic():
  x = _data(100, 10, seed=3)
  c = np.asarray(pca.fit(x, 5).components)
  rows = np.arange(5)
  assert np.all(c[rows, np.abs(c).argmax(1)] > 0)
  # Reflected data has the same axes, hence the same signed components.
  np.testing.assert_allclose(pca.fit(1.0 - x, 5).components, c, atol=1e-5)


def test_matches_sklearn_on_mnist5k(mnist):
  train, test = mnist
  state = pca.fit(train, 64)
  ref = PCA(64, svd_solver="covariance_eigh").fit(train.astype(np.float64))
  c = np.asarray(state.components, np.float64)
  signs = np.sign(np.sum(c * ref.components_, axis=1))
  np.testing.assert_allclose((c * signs[:, None])[:32], ref.components_[:32],
                             atol=1e-4)
  np.testing.assert_allclose(state.explained_variance,
                             ref.explained_variance_, rtol=1e-4)
  np.testing.assert_allclose(state.explained_variance_ratio,
                             ref.explained_variance_ratio_, atol=1e-5)
  np.testing.assert_allclose(state.mean, ref.mean_, atol=1e-6)
  recon = np.asarray(pca.reconstruct(state, test))
  expected = ref.inverse_transform(ref.transform(test.astype(np.float64)))
  np.testing.assert_allclose(recon, expected, atol=1e-4)


@pytest.mark.parametrize("offset", [0.0, 50.0])
def test_streaming_equals_batch(offset):
  """Uneven batches (incl. sizes 1 and 0) and a large common offset, where
  the raw sum-of-outer-products form would cancel badly in float32."""
  x = _data(300, 16, seed=4, offset=offset)
  acc = pca.covariance_init(16)
  for lo, hi in [(0, 1), (1, 1), (1, 120), (120, 257), (257, 300)]:
    acc = pca.covariance_update(acc, x[lo:hi])
  streamed = pca.fit_from_covariance(acc, 8)
  batch = pca.fit(x, 8)
  assert int(streamed.num_examples) == 300
  np.testing.assert_allclose(streamed.mean, batch.mean, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(streamed.explained_variance,
                             batch.explained_variance, rtol=1e-3, atol=1e-5)
  np.testing.assert_allclose(streamed.total_variance, batch.total_variance,
                             rtol=1e-4)
  np.testing.assert_allclose(streamed.components[:6], batch.components[:6],
                             atol=1e-3)
  # The accumulated scatter is the centred one, computed independently.
  x64 = x.astype(np.float64) - x.astype(np.float64).mean(0)
  np.testing.assert_allclose(acc.scatter, x64.T @ x64, rtol=1e-4, atol=1e-3)


def test_round_trip_at_full_rank_is_identity():
  x = _data(50, 10, seed=5, offset=2.0)
  state = pca.fit(x, 10)
  z = pca.transform(state, x)
  chex.assert_shape(z, (50, 10))
  np.testing.assert_allclose(pca.inverse_transform(state, z), x, atol=1e-4)
  np.testing.assert_allclose(pca.transform(state, pca.inverse_transform(
      state, z)), z, atol=1e-4)


def test_reconstruction_is_an_orthogonal_projection():
  x = _data(80, 10, seed=6)
  state = pca.truncate(pca.fit(x, 10), 3)
  recon = pca.reconstruct(state, x)
  residual = np.asarray(x - recon)
  np.testing.assert_allclose(residual @ np.asarray(state.components).T, 0.0,
                             atol=1e-4)
  np.testing.assert_allclose(pca.reconstruct(state, recon), recon, atol=1e-4)


def test_bad_sizes_raise():
  x = _data(5, 10)
  with pytest.raises(ValueError, match="num_components"):
    pca.fit(x, 6)
  with pytest.raises(ValueError, match="num_components"):
    pca.fit_from_covariance(pca.covariance_update(pca.covariance_init(10), x),
                            11)
  with pytest.raises(ValueError):
    pca.covariance_update(pca.covariance_init(3), x)
