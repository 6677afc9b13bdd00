"""Disentanglement metrics from the mutual information of discretised codes
with the factors: MIG, and modularity with explicitness.

Both follow disentanglement_lib's definitions and defaults (Locatello et
al. 2019, arXiv:1811.12359): codes of `num_train` = 10,000 random points
(`num_test` = 5,000 more for explicitness), each unit discretised into 20
equal-width bins over its range (`common.discretize`), mutual information
of discrete variables (`common.mutual_information`).
"""

import numpy as np
import sklearn.linear_model
import sklearn.metrics

from unsup_jax.eval.disentanglement import common


def mig_from_codes(codes: np.ndarray, factors: np.ndarray,
                   num_bins: int = common.NUM_BINS) -> dict:
  """Mutual information gap (Chen et al. 2018, arXiv:1802.04942): for each
  factor, the gap between the two code units that carry the most
  information about it, divided by the factor's entropy; averaged over the
  factors. 1 when each factor is in one unit only, 0 when two units share
  it equally (or none carries it). Needs at least two code units."""
  if codes.shape[1] < 2:
    raise ValueError("MIG needs at least two code units")
  mi = common.mutual_information(common.discretize(codes, num_bins), factors)
  top = np.sort(mi, axis=0)[::-1]
  entropy = common.entropies(factors)
  gaps = (top[0] - top[1]) / np.maximum(entropy, 1e-12)
  return {"mig": float(np.mean(gaps)),
          **{f"mig_factor_{k}": float(g) for k, g in enumerate(gaps)}}


def mig(sampler, representation_fn, rng, *, num_train: int = 10_000,
        batch_size: int = common.BATCH_SIZE) -> dict:
  codes, factors = common.points(sampler, representation_fn, num_train, rng,
                                 batch_size)
  return mig_from_codes(codes, factors)


def modularity_from_mi(mi: np.ndarray) -> float:
  """Modularity (Ridgeway & Mozer 2018, arXiv:1802.05312) of a `[D, K]`
  mutual-information matrix: per unit, 1 minus the share of its squared
  information that is not about its main factor (scaled to [0, 1] by
  K - 1); 0 for a unit that carries none; averaged over units."""
  sq = np.square(mi)
  top = sq.max(axis=1)
  delta = (sq.sum(axis=1) - top) / np.maximum(top * (mi.shape[1] - 1), 1e-30)
  return float(np.mean(np.where(top > 0, 1.0 - delta, 0.0)))


def explicitness(codes_train, factors_train, codes_test, factors_test
                 ) -> float:
  """Explicitness (Ridgeway & Mozer 2018): per factor, a logistic
  regression on the standardised codes predicts its value; the test ROC
  AUC (one class against the rest, averaged over the classes present in
  both classes of the test split), averaged over the factors."""
  mean, std = codes_train.mean(0), codes_train.std(0) + 1e-8
  x_train, x_test = (codes_train - mean) / std, (codes_test - mean) / std
  scores = []
  for k in range(factors_train.shape[1]):
    y_train, y_test = factors_train[:, k], factors_test[:, k]
    classes = np.unique(y_train)
    if len(classes) < 2:
      continue
    clf = sklearn.linear_model.LogisticRegression(max_iter=1000)
    proba = clf.fit(x_train, y_train).predict_proba(x_test)
    aucs = [sklearn.metrics.roc_auc_score(y_test == c, proba[:, i])
            for i, c in enumerate(clf.classes_)
            if 0 < np.sum(y_test == c) < len(y_test)]
    if aucs:
      scores.append(np.mean(aucs))
  return float(np.mean(scores)) if scores else 0.0


def modularity_explicitness(sampler, representation_fn, rng, *,
                            num_train: int = 10_000, num_test: int = 5_000,
                            batch_size: int = common.BATCH_SIZE) -> dict:
  train, test = common.train_test_points(sampler, representation_fn,
                                         num_train, num_test, rng, batch_size)
  mi = common.mutual_information(common.discretize(train[0]), train[1])
  return {"modularity": modularity_from_mi(mi),
          "explicitness": explicitness(*train, *test)}
