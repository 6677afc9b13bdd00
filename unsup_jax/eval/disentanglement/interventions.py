"""Disentanglement metrics from batches with a factor held fixed: the
β-VAE score and the FactorVAE score.

Definitions and defaults of disentanglement_lib (Locatello et al. 2019):
batches of 64, 10,000 training and 5,000 evaluation points; for the
FactorVAE score, code variances from 10,000 random points and units with a
standard deviation under 0.05 pruned. The sampler (`data.factors`) draws
the batches with the chosen factor fixed.
"""

import numpy as np
import sklearn.linear_model

from unsup_jax.eval.disentanglement import common


def _beta_vae_points(sampler, representation_fn, rng, num: int,
                     batch_size: int):
  """`num` (feature, factor) points: a random factor k, `batch_size` pairs
  that share k's value (and nothing else on purpose), the feature the mean
  absolute difference of their codes."""
  k_all = sampler.space.num_factors
  features, labels = [], []
  for _ in range(num):
    k = int(rng.integers(k_all))
    f1, x1 = sampler.sample(rng, batch_size)
    _, x2 = sampler.sample(rng, batch_size, fixed={k: f1[:, k]})
    codes = common.codes_of(representation_fn, np.concatenate([x1, x2]))
    diff = np.abs(codes[:batch_size] - codes[batch_size:])
    features.append(diff.mean(0))
    labels.append(k)
  return np.asarray(features), np.asarray(labels)


def beta_vae_score(sampler, representation_fn, rng, *,
                   batch_size: int = common.BATCH_SIZE,
                   num_train: int = 10_000, num_eval: int = 5_000) -> dict:
  """β-VAE score (Higgins et al. 2017, ICLR, "β-VAE: Learning Basic Visual
  Concepts with a Constrained Variational Framework"): the accuracy with
  which a linear classifier (logistic regression) names the fixed factor
  from the mean absolute code difference of pairs sharing it. 1 / K is
  chance."""
  x_train, y_train = _beta_vae_points(sampler, representation_fn, rng,
                                      num_train, batch_size)
  x_eval, y_eval = _beta_vae_points(sampler, representation_fn, rng,
                                    num_eval, batch_size)
  clf = sklearn.linear_model.LogisticRegression(max_iter=1000)
  clf.fit(x_train, y_train)
  return {"beta_vae_train_accuracy": float(clf.score(x_train, y_train)),
          "beta_vae_eval_accuracy": float(clf.score(x_eval, y_eval))}


def factor_vae_votes(sampler, representation_fn, rng, num: int,
                     batch_size: int, scale: np.ndarray,
                     active: np.ndarray) -> np.ndarray:
  """`[D, K]` votes: for each of `num` batches with a random factor k fixed
  at one value, the active unit of least variance (after dividing by its
  global standard deviation `scale`) votes for k."""
  d, k_all = len(scale), sampler.space.num_factors
  units = np.flatnonzero(active)
  votes = np.zeros((d, k_all), np.int64)
  for _ in range(num):
    k = int(rng.integers(k_all))
    value = int(rng.integers(sampler.space.sizes[k]))
    _, x = sampler.sample(rng, batch_size, fixed={k: value})
    codes = common.codes_of(representation_fn, x) / scale
    local = np.var(codes, axis=0, ddof=1)
    votes[units[np.argmin(local[units])], k] += 1
  return votes


def factor_vae_score(sampler, representation_fn, rng, *,
                     batch_size: int = common.BATCH_SIZE,
                     num_train: int = 10_000, num_eval: int = 5_000,
                     num_variance_estimate: int = 10_000,
                     prune_threshold: float = 0.05) -> dict:
  """FactorVAE score (Kim & Mnih 2018, arXiv:1802.05983): in batches with
  one factor fixed, the unit whose normalised variance is smallest should be
  the one that codes that factor; a majority-vote classifier (each unit
  predicts the factor it most often voted for) is fitted on `num_train`
  votes and scored on `num_eval` more. Units with a global standard
  deviation under `prune_threshold` (collapsed) do not vote; with none
  active the score is 0."""
  codes, _ = common.points(sampler, representation_fn, num_variance_estimate,
                           rng, batch_size)
  variance = np.var(codes, axis=0, ddof=1)
  scale = np.sqrt(variance)
  active = scale >= prune_threshold
  if not active.any():
    return {"factor_vae_train_accuracy": 0.0,
            "factor_vae_eval_accuracy": 0.0, "factor_vae_active_units": 0}
  scale = np.where(active, scale, 1.0)
  train = factor_vae_votes(sampler, representation_fn, rng, num_train,
                           batch_size, scale, active)
  evals = factor_vae_votes(sampler, representation_fn, rng, num_eval,
                           batch_size, scale, active)
  predicted = np.argmax(train, axis=1)            # each unit's factor
  units = np.arange(len(scale))
  return {"factor_vae_train_accuracy": float(train.max(1).sum() /
                                             train.sum()),
          "factor_vae_eval_accuracy": float(evals[units, predicted].sum() /
                                            evals.sum()),
          "factor_vae_active_units": int(active.sum())}
