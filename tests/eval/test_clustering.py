"""Tests for the clustering scores (`eval/clustering.py`): ACC, NMI, ARI
against scikit-learn, and ACC's invariances."""

import numpy as np
import pytest
import sklearn.metrics

from unsup_jax.eval import clustering


@pytest.fixture(name="rng")
def _rng():
  return np.random.default_rng(0)


def _noisy(labels, rng, flip=0.3, num=10):
  out = labels.copy()
  swap = rng.random(len(labels)) < flip
  out[swap] = rng.integers(num, size=swap.sum())
  return out


def test_accuracy_is_one_for_a_permuted_copy_and_invariant_to_relabelling(
    rng):
  labels = rng.integers(10, size=500)
  perm = rng.permutation(10)
  assert clustering.accuracy(perm[labels], labels) == 1.0
  clusters = _noisy(labels, rng)
  relabelled = (rng.permutation(10) + 20)[clusters]   # other values too
  assert clustering.accuracy(relabelled, labels) == pytest.approx(
      clustering.accuracy(clusters, labels))
  assert 0.6 < clustering.accuracy(clusters, labels) < 0.9


def test_accuracy_is_the_best_one_to_one_matching(rng):
  # brute force over every map of 4 clusters to 4 classes
  import itertools  # pylint: disable=g-import-not-at-top
  labels = rng.integers(4, size=60)
  clusters = rng.integers(4, size=60)
  best = max(np.mean(np.asarray(p)[clusters] == labels)
             for p in itertools.permutations(range(4)))
  assert clustering.accuracy(clusters, labels) == pytest.approx(best)
  # more clusters than classes: the unmatched ones count as wrong
  split = np.where(labels == 0, 4 + (np.arange(60) % 2), labels)
  acc = clustering.accuracy(split, labels)
  assert acc == pytest.approx(1 - np.mean(labels == 0) / 2, abs=0.02)


@pytest.mark.parametrize("case", ["noisy", "random", "one_cluster",
                                  "singletons", "more_clusters"])
def test_nmi_and_ari_agree_with_scikit_learn(case, rng):
  labels = rng.integers(10, size=400)
  clusters = {"noisy": _noisy(labels, rng),
              "random": rng.integers(10, size=400),
              "one_cluster": np.zeros(400, int),
              "singletons": np.arange(400),
              "more_clusters": labels * 3 + rng.integers(3, size=400)}[case]
  np.testing.assert_allclose(
      clustering.nmi(clusters, labels),
      sklearn.metrics.normalized_mutual_info_score(labels, clusters),
      atol=1e-10)
  np.testing.assert_allclose(
      clustering.ari(clusters, labels),
      sklearn.metrics.adjusted_rand_score(labels, clusters), atol=1e-10)


def test_scores_report_sizes_and_empty_clusters(rng):
  labels = rng.integers(3, size=90)
  clusters = np.where(labels == 2, 0, labels)          # cluster 2 empty
  s = clustering.scores(clusters, labels, num_clusters=4)
  assert s["empty_clusters"] == 2
  assert s["smallest_cluster"] == 0.0
  assert s["largest_cluster"] == pytest.approx(
      np.mean((labels == 0) | (labels == 2)))
  with pytest.raises(ValueError, match="cluster indices"):
    clustering.scores(clusters + 3, labels, num_clusters=4)


def test_confusion_puts_matched_clusters_on_the_diagonal(rng):
  labels = rng.integers(5, size=200)
  perm = rng.permutation(5)
  matrix = clustering.confusion(perm[labels], labels, num_classes=5)
  np.testing.assert_array_equal(matrix, np.diag(np.bincount(labels,
                                                            minlength=5)))
  assert clustering.matching(perm[labels], labels) == {
      int(perm[k]): k for k in range(5)}
