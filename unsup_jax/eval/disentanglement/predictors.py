"""Disentanglement metrics from predictors of the factors: DCI and SAP.

Definitions and defaults of disentanglement_lib (Locatello et al. 2019):
codes of `num_train` = 10,000 random points to fit on and `num_test` =
5,000 to score on.
"""

import numpy as np
import scipy.stats
import sklearn.ensemble
import sklearn.svm

from unsup_jax.eval.disentanglement import common


def dci_from_importance(importance: np.ndarray) -> dict:
  """Disentanglement and completeness (Eastwood & Williams 2018) of a
  `[D, K]` importance matrix (how much unit j is used to predict factor k).

  Disentanglement: per unit, 1 - entropy (base K) of its importances over
  the factors, weighted by the unit's share of the total importance.
  Completeness: per factor, 1 - entropy (base D) of its importances over
  the units, weighted by the factor's share.
  """
  d, k = importance.shape
  total = max(importance.sum(), 1e-30)
  per_unit = 1.0 - scipy.stats.entropy(importance.T + 1e-11, base=k)
  per_factor = 1.0 - scipy.stats.entropy(importance + 1e-11, base=d)
  return {"dci_disentanglement": float(np.sum(per_unit * importance.sum(1)
                                              / total)),
          "dci_completeness": float(np.sum(per_factor * importance.sum(0)
                                           / total))}


def dci_from_codes(codes_train, factors_train, codes_test, factors_test,
                   *, seed: int = 0, num_trees: int = 100) -> dict:
  """DCI (Eastwood & Williams 2018, "A Framework for the Quantitative
  Evaluation of Disentangled Representations"): one gradient-boosted tree
  classifier per factor (scikit-learn's defaults, as in
  disentanglement_lib); its feature importances make the importance
  matrix; informativeness is its mean accuracy."""
  d, k = codes_train.shape[1], factors_train.shape[1]
  importance = np.zeros((d, k))
  train_acc, test_acc = [], []
  for j in range(k):
    clf = sklearn.ensemble.GradientBoostingClassifier(
        n_estimators=num_trees, random_state=seed)
    clf.fit(codes_train, factors_train[:, j])
    importance[:, j] = np.abs(clf.feature_importances_)
    train_acc.append(np.mean(clf.predict(codes_train) == factors_train[:, j]))
    test_acc.append(np.mean(clf.predict(codes_test) == factors_test[:, j]))
  return {**dci_from_importance(importance),
          "dci_informativeness_train": float(np.mean(train_acc)),
          "dci_informativeness_test": float(np.mean(test_acc)),
          "importance": importance}


def dci(sampler, representation_fn, rng, *, num_train: int = 10_000,
        num_test: int = 5_000, num_trees: int = 100,
        batch_size: int = common.BATCH_SIZE) -> dict:
  train, test = common.train_test_points(sampler, representation_fn,
                                         num_train, num_test, rng, batch_size)
  out = dci_from_codes(*train, *test, num_trees=num_trees)
  out.pop("importance")
  return out


def sap_from_codes(codes_train, factors_train, codes_test, factors_test,
                   *, continuous: bool = False) -> dict:
  """SAP (Kumar et al. 2018, arXiv:1711.00848): a score of how well each
  single code unit predicts each factor; per factor, the gap between the
  two best units; averaged over the factors.

  Discrete factors (disentanglement_lib's default): the score is the test
  accuracy of a linear SVM (C = 0.01, balanced classes) on the one unit, so
  the second-best unit scores at least about chance and the gap is at most
  about 1 - 1 / (number of values); for factors of many values even a
  perfect code scores far lower (0.17 for factors of 4, 5 and 6 values in
  the tests), as one linear function of one unit cannot single out a
  factor's middle values. `continuous`: the score is the squared
  correlation of unit and factor on the training points (R^2 of a linear
  fit), and a perfect code reaches 1.
  """
  d, k = codes_train.shape[1], factors_train.shape[1]
  score = np.zeros((d, k))
  for i in range(d):
    for j in range(k):
      x, y = codes_train[:, i], factors_train[:, j].astype(np.float64)
      if continuous:
        cov = np.cov(x, y, ddof=1)
        if cov[0, 0] > 1e-12 and cov[1, 1] > 1e-12:
          score[i, j] = cov[0, 1] ** 2 / (cov[0, 0] * cov[1, 1])
        continue
      if len(np.unique(factors_train[:, j])) < 2:
        continue
      clf = sklearn.svm.LinearSVC(C=0.01, class_weight="balanced")
      clf.fit(codes_train[:, i:i + 1], factors_train[:, j])
      score[i, j] = np.mean(clf.predict(codes_test[:, i:i + 1]) ==
                            factors_test[:, j])
  top = np.sort(score, axis=0)[::-1]
  return {"sap": float(np.mean(top[0] - top[1]))}


def sap(sampler, representation_fn, rng, *, num_train: int = 10_000,
        num_test: int = 5_000, continuous: bool = False,
        batch_size: int = common.BATCH_SIZE) -> dict:
  train, test = common.train_test_points(sampler, representation_fn,
                                         num_train, num_test, rng, batch_size)
  return sap_from_codes(*train, *test, continuous=continuous)
