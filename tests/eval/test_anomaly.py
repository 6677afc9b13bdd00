"""AUROC by ranks against pairwise counts; the ROC curve's area."""

import numpy as np
import pytest
from sklearn import metrics

from unsup_jax.eval import anomaly


def _pairwise_auroc(normal, anomalous):
  """Fraction of (normal, anomalous) pairs ordered right, ties 1/2."""
  diff = np.asarray(anomalous)[:, None] - np.asarray(normal)[None, :]
  return (np.sum(diff > 0) + 0.5 * np.sum(diff == 0)) / diff.size


@pytest.mark.parametrize("seed", range(5))
def test_auroc_equals_pairwise_count_with_ties(seed):
  rng = np.random.default_rng(seed)
  # Small integer scores: many ties within and across the two sets.
  normal = rng.integers(0, 8, size=rng.integers(1, 60)).astype(float)
  anomalous = rng.integers(2, 10, size=rng.integers(1, 60)).astype(float)
  np.testing.assert_allclose(anomaly.auroc(normal, anomalous),
                             _pairwise_auroc(normal, anomalous), rtol=1e-12)


def test_auroc_matches_sklearn_on_continuous_scores():
  rng = np.random.default_rng(7)
  normal, anomalous = rng.normal(size=300), rng.normal(0.8, 1.5, size=120)
  labels = np.r_[np.zeros(300), np.ones(120)]
  expected = metrics.roc_auc_score(labels, np.r_[normal, anomalous])
  np.testing.assert_allclose(anomaly.auroc(normal, anomalous), expected,
                             rtol=1e-12)


def test_auroc_extremes_and_identical_samples():
  low, high = np.arange(10.0), np.arange(10.0) + 10
  assert anomaly.auroc(low, high) == 1.0
  assert anomaly.auroc(high, low) == 0.0
  x = np.random.default_rng(0).normal(size=37)
  assert anomaly.auroc(x, x) == 0.5
  assert anomaly.auroc(np.ones(5), np.ones(3)) == 0.5


def test_auroc_is_antisymmetric():
  rng = np.random.default_rng(3)
  a, b = rng.integers(0, 5, 40).astype(float), rng.normal(2, 2, 25)
  np.testing.assert_allclose(anomaly.auroc(a, b), 1 - anomaly.auroc(b, a),
                             rtol=1e-12)


def test_auroc_is_invariant_to_monotone_transforms():
  rng = np.random.default_rng(4)
  a, b = rng.gamma(2.0, size=50), rng.gamma(3.0, size=70)
  np.testing.assert_allclose(anomaly.auroc(np.log(a), np.log(b)),
                             anomaly.auroc(a, b), rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_roc_curve_area_is_auroc(seed):
  rng = np.random.default_rng(seed)
  normal = rng.integers(0, 6, 50).astype(float)
  anomalous = rng.normal(3, 2, 30).round(1)
  fpr, tpr = anomaly.roc_curve(normal, anomalous)
  assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)
  assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
  assert len(fpr) == len(np.unique(np.r_[normal, anomalous])) + 1
  area = np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)
  np.testing.assert_allclose(area, anomaly.auroc(normal, anomalous),
                             rtol=1e-12)


def test_empty_and_nan_scores():
  with pytest.raises(ValueError, match="empty"):
    anomaly.auroc([], [1.0])
  with pytest.raises(ValueError, match="empty"):
    anomaly.roc_curve([1.0], [])
  assert np.isnan(anomaly.auroc([1.0, np.nan], [2.0]))
