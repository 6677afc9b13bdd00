"""Tests for unsup_jax.eval.fid: FID against closed forms, KID unbiasedness."""

import numpy as np
import pytest
import scipy.linalg

from unsup_jax.errors import UserError
from unsup_jax.eval import fid as fid_lib


def _random_cov(rng, f, rank=None):
  a = rng.normal(size=(f, rank or f))
  return a @ a.T / f


def _scipy_frechet(mu1, cov1, mu2, cov2):
  """The textbook formula with scipy's general matrix square root."""
  root = scipy.linalg.sqrtm(cov1 @ cov2)
  return float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) -
               2 * np.trace(root).real)


def test_gaussian_stats_are_mean_and_unbiased_covariance():
  x = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
  mean, cov = fid_lib.gaussian_stats(x)
  assert mean.dtype == np.float64 and cov.dtype == np.float64
  np.testing.assert_allclose(mean, x.astype(np.float64).mean(0), rtol=1e-12)
  np.testing.assert_allclose(cov, np.cov(x.astype(np.float64), rowvar=False),
                             rtol=1e-10)


def test_fid_of_a_set_with_itself_is_zero_and_fid_is_symmetric():
  rng = np.random.default_rng(1)
  a = rng.normal(size=(300, 16)) @ rng.normal(size=(16, 16))
  b = rng.normal(1.0, 2.0, size=(200, 16))
  scale = fid_lib.fid(a, b)
  assert scale > 1.0
  assert abs(fid_lib.fid(a, a)) < 1e-6 * np.trace(np.cov(a, rowvar=False))
  np.testing.assert_allclose(fid_lib.fid(b, a), scale, rtol=1e-9)


def test_frechet_distance_of_diagonal_covariances_has_closed_form():
  rng = np.random.default_rng(2)
  mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
  s1, s2 = rng.uniform(0.1, 3, 6), rng.uniform(0.1, 3, 6)
  expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(s1) - np.sqrt(s2)) ** 2)
  np.testing.assert_allclose(
      fid_lib.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)), expected,
      rtol=1e-10)
  # Commuting, non-diagonal: the same spectra in one rotated basis.
  q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
  np.testing.assert_allclose(
      fid_lib.frechet_distance(mu1, q @ np.diag(s1) @ q.T, mu2,
                               q @ np.diag(s2) @ q.T), expected, rtol=1e-9)


def test_frechet_distance_of_non_commuting_covariances_matches_scipy():
  rng = np.random.default_rng(3)
  mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
  cov1, cov2 = _random_cov(rng, 8), _random_cov(rng, 8)
  assert not np.allclose(cov1 @ cov2, cov2 @ cov1)
  ours = fid_lib.frechet_distance(mu1, cov1, mu2, cov2)
  np.testing.assert_allclose(ours, _scipy_frechet(mu1, cov1, mu2, cov2),
                             rtol=1e-8)
  np.testing.assert_allclose(fid_lib.frechet_distance(mu2, cov2, mu1, cov1),
                             ours, rtol=1e-9)


def test_fid_of_large_samples_approaches_the_closed_form():
  rng = np.random.default_rng(4)
  f = 4
  mu1, mu2 = np.zeros(f), np.full(f, 0.5)
  cov1, cov2 = _random_cov(rng, f), _random_cov(rng, f)
  exact = _scipy_frechet(mu1, cov1, mu2, cov2)
  n = 100_000
  a = rng.multivariate_normal(mu1, cov1, size=n)
  b = rng.multivariate_normal(mu2, cov2, size=n)
  np.testing.assert_allclose(fid_lib.fid(a, b), exact, rtol=0.02)
  # Small samples of one distribution: biased upwards, but far less.
  assert 0 < fid_lib.fid(a[:1000], a[-1000:]) < 0.1 * exact


def test_fid_is_stable_for_rank_deficient_covariances():
  rng = np.random.default_rng(5)
  # 20 samples in 64 dimensions, and a rank-3 feature set: singular C1 C2.
  a = rng.normal(size=(20, 64))
  b = rng.normal(size=(30, 3)) @ rng.normal(size=(3, 64))
  for x, y in ((a, b), (b, a), (a, a), (b, b)):
    value = fid_lib.fid(x, y)
    assert isinstance(value, float) and np.isfinite(value)
  assert abs(fid_lib.fid(b, b)) < 1e-6 * np.trace(np.cov(b, rowvar=False))
  # Against the closed form of a rank-deficient diagonal pair.
  s1 = np.array([2.0, 0.0, 1.0, 0.0])
  s2 = np.array([0.0, 0.0, 4.0, 1.0])
  np.testing.assert_allclose(
      fid_lib.frechet_distance(np.zeros(4), np.diag(s1), np.zeros(4),
                               np.diag(s2)),
      np.sum((np.sqrt(s1) - np.sqrt(s2)) ** 2), rtol=1e-10)


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_shift():
  rng = np.random.default_rng(6)
  a, b = rng.normal(size=(1500, 8)), rng.normal(size=(1200, 8))
  same, same_std = fid_lib.kid(a, b, num_subsets=10, subset_size=1000)
  shifted, _ = fid_lib.kid(a, b + 0.5, num_subsets=10, subset_size=1000)
  further, _ = fid_lib.kid(a, b + 1.0, num_subsets=10, subset_size=1000)
  assert abs(same) < 3 * same_std + 1e-3
  assert shifted > 20 * max(abs(same), same_std)
  assert further > 2 * shifted
  # Deterministic in the seed; subset_size larger than the sets is clipped.
  assert fid_lib.kid(a, b, seed=3) == fid_lib.kid(a, b, seed=3)
  small = fid_lib.kid(a[:40], b[:30], num_subsets=3, subset_size=1000)
  assert np.isfinite(small[0]) and small[1] > 0   # 30 of 40 rows of a vary


def test_kid_subset_size_clipping_uses_whole_sets():
  rng = np.random.default_rng(7)
  a, b = rng.normal(size=(40, 5)), rng.normal(size=(30, 5))
  # subset_size is clipped to 30 = both sizes: every subset is a permutation
  # of a whole set, and the estimate is permutation invariant.
  mean, _ = fid_lib.kid(a[:30], b, num_subsets=4, subset_size=10_000)
  np.testing.assert_allclose(mean, fid_lib.mmd2_unbiased(a[:30], b),
                             rtol=1e-10)


def test_mmd2_matches_a_direct_double_sum():
  rng = np.random.default_rng(8)
  x, y = rng.normal(size=(7, 3)), rng.normal(1, 1, size=(5, 3))
  k = lambda u, v: (u @ v / 3 + 1) ** 3
  xx = sum(k(x[i], x[j]) for i in range(7) for j in range(7) if i != j) / 42
  yy = sum(k(y[i], y[j]) for i in range(5) for j in range(5) if i != j) / 20
  xy = sum(k(x[i], y[j]) for i in range(7) for j in range(5)) / 35
  np.testing.assert_allclose(fid_lib.mmd2_unbiased(x, y), xx + yy - 2 * xy,
                             rtol=1e-10)


def test_kid_is_unbiased_and_the_v_statistic_is_not():
  """Over many independent small samples of one distribution the mean KID
  is within a few standard errors of 0; the biased V-statistic (diagonal
  terms kept) on the same samples is significantly positive."""
  rng = np.random.default_rng(9)
  m, f, reps = 30, 6, 400
  kids, biased = [], []
  for _ in range(reps):
    x, y = rng.normal(size=(m, f)), rng.normal(size=(m, f))
    kids.append(fid_lib.kid(x, y, num_subsets=1, subset_size=m)[0])
    kxx, kyy = (x @ x.T / f + 1) ** 3, (y @ y.T / f + 1) ** 3
    biased.append(kxx.mean() + kyy.mean() - 2 * ((x @ y.T / f + 1) ** 3).mean())
  kids, biased = np.array(kids), np.array(biased)
  stderr = kids.std(ddof=1) / np.sqrt(reps)
  assert abs(kids.mean()) < 4 * stderr
  assert biased.mean() > 10 * biased.std(ddof=1) / np.sqrt(reps)
  assert np.any(kids < 0)


def test_user_errors():
  with pytest.raises(UserError, match="N >= 2"):
    fid_lib.fid(np.ones((1, 3)), np.ones((5, 3)))
  with pytest.raises(UserError, match="feature sizes"):
    fid_lib.fid(np.ones((4, 3)), np.ones((5, 2)))
  with pytest.raises(UserError, match="NaN"):
    fid_lib.kid(np.full((4, 3), np.nan), np.ones((5, 3)))
  with pytest.raises(UserError, match="num_subsets"):
    fid_lib.kid(np.ones((4, 3)), np.ones((5, 3)), num_subsets=0)
  with pytest.raises(UserError, match="covariances"):
    fid_lib.frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
