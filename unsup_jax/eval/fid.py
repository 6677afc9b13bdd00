"""Fréchet distance (FID) and kernel distance (KID) between feature sets.

Sample-quality scores of a generative model computed on features of real and
generated images from a fixed network (Inception in the papers; any feature
extractor here, e.g. `eval/feature_classifier.py` for MNIST-like images):

* FID: Heusel et al. (2017), "GANs Trained by a Two Time-Scale Update Rule
  Converge to a Local Nash Equilibrium", arXiv:1706.08500. The Fréchet
  (Wasserstein-2) distance between Gaussians fitted to the two feature sets,

    ||mu1 - mu2||^2 + tr(C1 + C2 - 2 (C1 C2)^{1/2}).

* KID: Bińkowski et al. (2018), "Demystifying MMD GANs", arXiv:1801.01401.
  The unbiased estimate of the squared maximum mean discrepancy with the
  cubic polynomial kernel k(x, y) = (x.y / F + 1)^3, averaged over random
  subsets. Unlike FID it is unbiased in the sample size, so values from
  different sample sizes compare, and it may be slightly negative.

All arithmetic is numpy float64 on the host.
"""

import numpy as np

from unsup_jax.errors import UserError


def _as_features(features, name: str) -> np.ndarray:
  x = np.asarray(features, np.float64)
  if x.ndim != 2 or x.shape[0] < 2:
    raise UserError(f"{name} must be [N, F] features with N >= 2, got shape "
                    f"{x.shape}")
  if not np.all(np.isfinite(x)):
    raise UserError(f"{name} contains NaN or infinite values")
  return x


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Mean and unbiased covariance of a feature set.

  Args:
    features: `[N, F]` features, N >= 2.

  Returns:
    (mean `[F]`, covariance `[F, F]`), float64; the covariance divides by
    N - 1.
  """
  x = _as_features(features, "features")
  mean = x.mean(axis=0)
  centred = x - mean
  cov = centred.T @ centred / (x.shape[0] - 1)
  return mean, cov


def _psd_sqrt(cov: np.ndarray) -> np.ndarray:
  """Symmetric square root of a symmetric PSD matrix `[F, F]`."""
  eigvals, eigvecs = np.linalg.eigh(0.5 * (cov + cov.T))
  return (eigvecs * np.sqrt(np.clip(eigvals, 0.0, None))) @ eigvecs.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray,
                     cov2: np.ndarray) -> float:
  """Fréchet distance between N(mu1, cov1) and N(mu2, cov2).

  d = ||mu1 - mu2||^2 + tr(C1) + tr(C2) - 2 tr((C1 C2)^{1/2}).

  The trace term is computed without the square root of the non-symmetric
  matrix C1 C2 (whose numerical `sqrtm` can return complex parts and NaNs
  when C1 C2 is singular or ill-conditioned): with S = C1^{1/2}, the
  symmetric square root from an eigendecomposition of C1 (eigenvalues
  clipped at 0), C1 C2 = S (S C2 S) S^{-1} is similar to M = S C2 S, so
  (C1 C2)^{1/2} and M^{1/2} have the same eigenvalues and
  tr((C1 C2)^{1/2}) = sum_i sqrt(lambda_i(M)) (by continuity also for a
  singular C1). M is symmetric PSD, so `eigh` gives real eigenvalues that
  are >= 0 up to rounding, which are clipped at 0: no complex numbers and no
  regularising epsilon on the diagonal, and rank-deficient covariances
  (fewer samples than features) are fine.

  Args:
    mu1: `[F]` mean of the first Gaussian.
    cov1: `[F, F]` its covariance (symmetric PSD).
    mu2: `[F]` mean of the second Gaussian.
    cov2: `[F, F]` its covariance.

  Returns:
    The distance, a Python float (>= 0 up to rounding).
  """
  mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
  cov1, cov2 = np.asarray(cov1, np.float64), np.asarray(cov2, np.float64)
  f = mu1.shape[0]
  if (mu1.shape != (f,) or mu2.shape != (f,) or cov1.shape != (f, f) or
      cov2.shape != (f, f)):
    raise UserError(f"frechet_distance needs means [F] and covariances "
                    f"[F, F] of one F, got {mu1.shape}, {cov1.shape}, "
                    f"{mu2.shape}, {cov2.shape}")
  sqrt1 = _psd_sqrt(cov1)
  middle = sqrt1 @ cov2 @ sqrt1
  eigvals = np.linalg.eigvalsh(0.5 * (middle + middle.T))
  tr_sqrt = np.sum(np.sqrt(np.clip(eigvals, 0.0, None)))
  diff = mu1 - mu2
  return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2 * tr_sqrt)


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
  """FID between two feature sets (Heusel et al. 2017).

  Args:
    features_a: `[N, F]` features, e.g. of real images.
    features_b: `[M, F]` features, e.g. of generated images.

  Returns:
    The Fréchet distance between their fitted Gaussians. Biased upwards for
    small N, M: compare values only at equal sample sizes.
  """
  a = _as_features(features_a, "features_a")
  b = _as_features(features_b, "features_b")
  if a.shape[1] != b.shape[1]:
    raise UserError(f"fid: feature sizes differ ({a.shape[1]} vs "
                    f"{b.shape[1]})")
  return frechet_distance(*gaussian_stats(a), *gaussian_stats(b))


def _polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
  """`[n, m]` kernel matrix (x.y / F + 1)^3 for `[n, F]`, `[m, F]`."""
  return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
  """Unbiased MMD^2 with the cubic polynomial kernel (Bińkowski et al.).

  1/(m(m-1)) sum_{i!=j} k(x_i, x_j) + 1/(n(n-1)) sum_{i!=j} k(y_i, y_j)
  - 2/(mn) sum_{i,j} k(x_i, y_j).

  Args:
    x: `[m, F]` features, m >= 2.
    y: `[n, F]` features, n >= 2.

  Returns:
    The estimate (may be negative).
  """
  m, n = x.shape[0], y.shape[0]
  kxx, kyy = _polynomial_kernel(x, x), _polynomial_kernel(y, y)
  kxy = _polynomial_kernel(x, y)
  return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) +
               (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) -
               2.0 * kxy.mean())


def kid(features_a: np.ndarray, features_b: np.ndarray, *,
        num_subsets: int = 10, subset_size: int = 1000,
        seed: int = 0) -> tuple[float, float]:
  """KID: unbiased MMD^2 averaged over random subsets (Bińkowski et al.).

  Each of `num_subsets` rounds draws `subset_size` rows without replacement
  from each set (clipped to the smaller set's size) and computes
  `mmd2_unbiased`.

  Args:
    features_a: `[N, F]` features.
    features_b: `[M, F]` features.
    num_subsets: number of random subsets, >= 1.
    subset_size: rows per subset, >= 2 (after clipping to min(N, M)).
    seed: seed of the numpy generator choosing the subsets.

  Returns:
    (mean, std) over the subsets; std is the sample standard deviation
    (ddof 1; 0 for one subset).
  """
  a = _as_features(features_a, "features_a")
  b = _as_features(features_b, "features_b")
  if a.shape[1] != b.shape[1]:
    raise UserError(f"kid: feature sizes differ ({a.shape[1]} vs "
                    f"{b.shape[1]})")
  if num_subsets < 1 or subset_size < 2:
    raise UserError(f"kid needs num_subsets >= 1 and subset_size >= 2, got "
                    f"{num_subsets} and {subset_size}")
  m = min(subset_size, a.shape[0], b.shape[0])
  rng = np.random.default_rng(seed)
  values = np.array([
      mmd2_unbiased(a[rng.choice(a.shape[0], m, replace=False)],
                    b[rng.choice(b.shape[0], m, replace=False)])
      for _ in range(num_subsets)])
  std = float(values.std(ddof=1)) if num_subsets > 1 else 0.0
  return float(values.mean()), std


# Rows per KID subset of `fid_kid` (the generated sets have 200-1,000).
KID_SUBSET = 500


def fid_kid(f_gen, f_real) -> dict:
  """FID and KID (mean, std over subsets of `KID_SUBSET`) of generated
  against real images, from their features (e.g.
  `eval.feature_classifier.FeatureClassifier.features`)."""
  kid_mean, kid_std = kid(f_gen, f_real, subset_size=KID_SUBSET)
  return {"fid": fid(f_gen, f_real), "kid": kid_mean, "kid_std": kid_std}


def nearest_training_images(samples, train_images) -> np.ndarray:
  """The training image closest in squared pixel distance to each sample
  (a memorisation check): `[N, H, W, C]`, `[M, H, W, C]` -> `[N, H, W, C]`."""
  a = np.asarray(samples, np.float32).reshape(len(samples), -1)
  b = np.asarray(train_images, np.float32).reshape(len(train_images), -1)
  d2 = (a * a).sum(1)[:, None] - 2 * a @ b.T + (b * b).sum(1)[None, :]
  return np.asarray(train_images)[np.argmin(d2, axis=1)]
