"""Ranking quality of anomaly scores: AUROC and the ROC curve.

The area under the ROC curve equals the Mann-Whitney U statistic divided by
the number of (normal, anomalous) pairs (Mann & Whitney 1947, Ann. Math.
Statist. 18; Hanley & McNeil 1982, Radiology 143): the probability that an
anomalous example scores higher than a normal one, ties counted 1/2. Both
are computed from ranks in O(n log n). Higher scores mean "more anomalous".
"""

import numpy as np
from scipy import stats


def _scores(name: str, scores) -> np.ndarray:
  """`scores` as a non-empty float64 vector."""
  scores = np.asarray(scores, np.float64).reshape(-1)
  if not scores.size:
    raise ValueError(f"{name} is empty: AUROC needs at least one score of "
                     "each kind")
  return scores


def auroc(scores_normal, scores_anomalous) -> float:
  """Area under the ROC curve of anomalous (positive) vs normal scores.

  AUROC = (R_a - n_a (n_a + 1) / 2) / (n_a n_n), R_a the sum of the
  anomalous scores' mid-ranks in the pooled sample: the fraction of pairs
  (normal, anomalous) with the anomalous score higher, plus half the ties.

  Args:
    scores_normal: `[N_n]` scores of normal examples (any shape, flattened).
    scores_anomalous: `[N_a]` scores of anomalous examples.

  Returns:
    AUROC in [0, 1]: 1 when every anomaly outscores every normal example,
    0.5 for identical samples; NaN if any score is NaN.

  Raises:
    ValueError: if either set is empty.
  """
  normal = _scores("scores_normal", scores_normal)
  anomalous = _scores("scores_anomalous", scores_anomalous)
  pooled = np.concatenate([normal, anomalous])
  if np.isnan(pooled).any():
    return float("nan")
  ranks = stats.rankdata(pooled)                 # mid-ranks, 1-based
  n_n, n_a = normal.size, anomalous.size
  u = np.sum(ranks[n_n:]) - n_a * (n_a + 1) / 2.0
  return float(u / (n_a * n_n))


def roc_curve(scores_normal, scores_anomalous) -> tuple[np.ndarray,
                                                        np.ndarray]:
  """ROC points of the detector "anomalous if score >= t" over all t.

  One point per distinct score, thresholds decreasing; tied scores move the
  curve diagonally, so the trapezoidal area under it equals `auroc`.

  Args:
    scores_normal: `[N_n]` scores of normal examples.
    scores_anomalous: `[N_a]` scores of anomalous examples.

  Returns:
    (false positive rates `[T + 1]`, true positive rates `[T + 1]`), from
    (0, 0) to (1, 1), T the number of distinct scores.

  Raises:
    ValueError: if either set is empty.
  """
  normal = _scores("scores_normal", scores_normal)
  anomalous = _scores("scores_anomalous", scores_anomalous)
  pooled = np.concatenate([normal, anomalous])
  is_anomalous = np.r_[np.zeros(normal.size), np.ones(anomalous.size)]
  order = np.argsort(-pooled, kind="stable")
  pooled, is_anomalous = pooled[order], is_anomalous[order]
  # Last index of each run of equal scores: one threshold per distinct score.
  ends = np.r_[np.flatnonzero(np.diff(pooled) != 0), pooled.size - 1]
  true_pos = np.cumsum(is_anomalous)[ends]
  false_pos = (ends + 1) - true_pos
  fpr = np.r_[0.0, false_pos / normal.size]
  tpr = np.r_[0.0, true_pos / anomalous.size]
  return fpr, tpr
