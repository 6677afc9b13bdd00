"""Disentanglement evaluation of any model with an encoder, on a dataset
with factors of variation (`data/factors.py`); `viz.disentanglement.
representation_figures` plots its outputs.

`evaluate` scores the model's `representation_fn` (the posterior mean, for
a VAE) with every metric of `eval/disentanglement/` on fresh points from
the dataset's factor sampler, at `scale` times disentanglement_lib's sample
sizes (1: 10,000 training points for most metrics; the study uses less, and
says so), except the MI-based metrics, which keep `mi_points` (10,000:
their estimator is biased at small samples, see `MI_BASED`). It also returns the points scored by MIG (`exports` ->
`representations.npz`: `codes` [N, D], `factors` [N, K]), their
unit-by-factor mutual information, the factor each unit carries most about
(to label traversal rows) and the KL of each unit on the test split.
"""

import numpy as np

from unsup_jax.data import factors as factors_lib
from unsup_jax.eval import disentanglement as dis
from unsup_jax.eval.disentanglement import common, information

# disentanglement_lib's sample sizes, scaled by `scale`.
DEFAULTS = {
    "beta_vae": dict(num_train=10_000, num_eval=5_000),
    "factor_vae": dict(num_train=10_000, num_eval=5_000,
                       num_variance_estimate=10_000),
    "mig": dict(num_train=10_000),
    "modularity_explicitness": dict(num_train=10_000, num_test=5_000),
    "dci": dict(num_train=10_000, num_test=5_000),
    "sap": dict(num_train=10_000, num_test=5_000),
}
# Floors of the sample sizes, so that a smoke run still fits its
# classifiers: points of the batch-based scores (each a batch of 64), and
# single points of the others.
MINIMUM_BATCHES, MINIMUM_POINTS = 16, 64
BATCH_BASED = ("beta_vae", "factor_vae")


# The metrics built on the mutual information of discretised codes (MIG,
# modularity) keep disentanglement_lib's 10,000 points whatever `scale`:
# the plug-in estimate of I(code bin; factor) is biased upwards by about
# (bins - 1)(values - 1) / 2N nats, 1.9 nats for a 40-valued factor at
# N = 200 (measured: every unit then seemed to carry 1.0-1.5 nats about
# every position and orientation factor), 0.04 at N = 10,000.
MI_BASED = ("mig", "modularity_explicitness")


def settings(scale: float, dci_trees: int = 100, batch_size: int = 64,
             mi_points: int = 10_000) -> dict:
  """Every metric's sample sizes at `scale` (`mi_points` for the MI-based
  ones), DCI's boosting stages and the batch of the β-VAE and FactorVAE
  scores (64 in disentanglement_lib)."""
  floor = lambda m, k: (MINIMUM_BATCHES if m in BATCH_BASED and
                        k != "num_variance_estimate" else MINIMUM_POINTS)
  out = {m: {k: max(floor(m, k), int(round(v * scale)))
             for k, v in s.items()} for m, s in DEFAULTS.items()}
  for m in MI_BASED:
    out[m]["num_train"] = mi_points
  out["dci"]["num_trees"] = dci_trees
  for m in BATCH_BASED:
    out[m]["batch_size"] = batch_size
  return out


def has_factors(dataset) -> bool:
  return "factor_sizes" in dataset.meta


def evaluate(representation_fn, dataset, *, seed: int, scale: float,
             dci_trees: int = 100, batch_size: int = 64,
             mi_points: int = 10_000, test_mean=None,
             test_logvar=None) -> tuple[dict, dict]:
  """`(metrics, outputs)`; `test_mean` / `test_logvar` `[N, D]` (a VAE's
  test posteriors) add the KL per unit."""
  sampler = factors_lib.sampler(dataset, "train")
  space = sampler.space
  config = settings(scale, dci_trees, batch_size, mi_points)
  # MIG is scored here, on the points that are exported and plotted.
  metrics = dis.score(sampler, representation_fn, seed=seed, settings=config,
                      names=[m for m in dis.METRICS if m != "mig"])
  codes, f = common.points(sampler, representation_fn,
                           config["mig"]["num_train"], dis.rng_of("mig", seed))
  metrics.update(information.mig_from_codes(codes, f))
  mi = common.mutual_information(common.discretize(codes), f)
  outputs = {"mi": mi, "factor_names": list(space.names),
             "unit_factor": [space.names[k] for k in np.argmax(mi, 1)],
             "exports": {"representations.npz": {
                 "codes": codes.astype(np.float32),
                 "factors": f.astype(np.int32)}}}
  if test_mean is not None:
    kl = 0.5 * np.mean(np.square(test_mean) + np.exp(test_logvar) -
                       test_logvar - 1.0, axis=0)
    outputs["kl_per_unit"] = kl
  return metrics, outputs
