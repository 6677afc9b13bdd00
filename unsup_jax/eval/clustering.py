"""Scores of a clustering against class labels: ACC, NMI, ARI, sizes.

* Unsupervised clustering accuracy (ACC; Xie et al. 2016, "Unsupervised
  Deep Embedding for Clustering Analysis", arXiv:1511.06335, eq. 10): the
  accuracy under the best one-to-one map of clusters to classes, found by
  the Hungarian algorithm on the contingency table
  (`scipy.optimize.linear_sum_assignment`). Clusters left without a class
  (more clusters than classes) count as wrong.
* Normalised mutual information (NMI; Strehl & Ghosh 2002): I(c; y) over
  the arithmetic mean of H(c) and H(y), scikit-learn's default
  normalisation; 1 when both are a single group.
* Adjusted Rand index (ARI; Hubert & Arabie 1985): the Rand index of pair
  agreements corrected for chance, 0 in expectation for random labels.

All take integer numpy arrays `clusters` `[N]` and `labels` `[N]` (any
non-negative values; they need not be 0..K-1) and are written from the
contingency table, without scikit-learn (the tests check them against it).
"""

import numpy as np
import scipy.optimize


def contingency(clusters: np.ndarray, labels: np.ndarray):
  """`(table [C, L], cluster values [C], label values [L])`: table[i, j] the
  number of points in the i-th cluster value with the j-th label value."""
  clusters, labels = np.asarray(clusters), np.asarray(labels)
  if clusters.shape != labels.shape or clusters.ndim != 1:
    raise ValueError(f"clusters {clusters.shape} and labels {labels.shape} "
                     "must be 1-D arrays of the same length")
  c_values, c = np.unique(clusters, return_inverse=True)
  l_values, l = np.unique(labels, return_inverse=True)
  table = np.zeros((len(c_values), len(l_values)), np.int64)
  np.add.at(table, (c, l), 1)
  return table, c_values, l_values


def _matched(clusters: np.ndarray, labels: np.ndarray):
  """The contingency table and its best one-to-one matching (Hungarian
  algorithm, most points matched): `(table, rows, cols, cluster values,
  label values)`."""
  table, c_values, l_values = contingency(clusters, labels)
  rows, cols = scipy.optimize.linear_sum_assignment(table, maximize=True)
  return table, rows, cols, c_values, l_values


def matching(clusters: np.ndarray, labels: np.ndarray) -> dict:
  """The best one-to-one map {cluster value: label value}; unmatched
  clusters are absent."""
  _, rows, cols, c_values, l_values = _matched(clusters, labels)
  return {int(c_values[r]): int(l_values[k]) for r, k in zip(rows, cols)}


def accuracy(clusters: np.ndarray, labels: np.ndarray) -> float:
  """ACC: the fraction of points whose cluster maps to their label under
  `matching`."""
  table, rows, cols, _, _ = _matched(clusters, labels)
  return float(table[rows, cols].sum() / table.sum())


def _entropy(counts: np.ndarray) -> float:
  p = counts[counts > 0] / counts.sum()
  return float(-np.sum(p * np.log(p)))


def nmi(clusters: np.ndarray, labels: np.ndarray) -> float:
  """NMI = I(c; y) / ((H(c) + H(y)) / 2), in nats over nats."""
  table, _, _ = contingency(clusters, labels)
  n = table.sum()
  h_c, h_y = _entropy(table.sum(1)), _entropy(table.sum(0))
  if h_c == 0.0 and h_y == 0.0:
    return 1.0
  joint = table / n
  outer = np.outer(table.sum(1), table.sum(0)) / n ** 2
  nz = joint > 0
  mi = float(np.sum(joint[nz] * np.log(joint[nz] / outer[nz])))
  return max(mi, 0.0) / ((h_c + h_y) / 2.0)


def ari(clusters: np.ndarray, labels: np.ndarray) -> float:
  """ARI = (index - expected) / (max - expected), with index the number
  of point pairs together in both, from the contingency table."""
  table, _, _ = contingency(clusters, labels)
  pairs = lambda x: np.sum(x * (x - 1) / 2.0)
  index, a, b = pairs(table), pairs(table.sum(1)), pairs(table.sum(0))
  total = pairs(np.array([table.sum()]))
  expected = a * b / total if total > 0 else 0.0
  top = (a + b) / 2.0
  if top == expected:                 # both a single group, or all apart
    return 1.0
  return float((index - expected) / (top - expected))


def cluster_sizes(clusters: np.ndarray, num_clusters: int) -> np.ndarray:
  """`[num_clusters]` counts of clusters numbered 0..num_clusters-1."""
  clusters = np.asarray(clusters)
  if clusters.size and (clusters.min() < 0 or
                        clusters.max() >= num_clusters):
    raise ValueError(f"cluster indices must lie in [0, {num_clusters})")
  return np.bincount(clusters, minlength=num_clusters)


def scores(clusters: np.ndarray, labels: np.ndarray,
           num_clusters: int) -> dict:
  """ACC, NMI, ARI, the largest and smallest cluster's share and the
  number of empty clusters."""
  sizes = cluster_sizes(clusters, num_clusters)
  return {"acc": accuracy(clusters, labels), "nmi": nmi(clusters, labels),
          "ari": ari(clusters, labels),
          "largest_cluster": float(sizes.max() / sizes.sum()),
          "smallest_cluster": float(sizes.min() / sizes.sum()),
          "empty_clusters": int(np.sum(sizes == 0))}


def confusion(clusters: np.ndarray, labels: np.ndarray,
              num_classes: int) -> np.ndarray:
  """`[num_classes, num_classes]` counts of (matched class, true class),
  after mapping each cluster to its matched class (`matching`); points of
  unmatched clusters are left out."""
  mapping = matching(clusters, labels)
  out = np.zeros((num_classes, num_classes), np.int64)
  for c, y in zip(np.asarray(clusters), np.asarray(labels)):
    if int(c) in mapping:
      out[mapping[int(c)], y] += 1
  return out
