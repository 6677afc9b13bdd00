"""The standard disentanglement metrics, framework-agnostic.

Each metric takes a `data.factors.FactorSampler` (ground-truth factors,
with the ability to hold chosen factors fixed), a `representation_fn`
(numpy observations `[B, ...]` -> numpy codes `[B, D]`), a numpy
`Generator`, and its settings (disentanglement_lib's defaults, Locatello
et al. 2019, unless given); it returns a dict of floats:

| metric | module | keys |
| --- | --- | --- |
| β-VAE score (Higgins et al. 2017) | `interventions` | `beta_vae_*_accuracy` |
| FactorVAE score (Kim & Mnih 2018) | `interventions` | `factor_vae_*` |
| MIG (Chen et al. 2018) | `information` | `mig` |
| modularity, explicitness (Ridgeway & Mozer 2018) | `information` | |
| DCI (Eastwood & Williams 2018) | `predictors` | `dci_*` |
| SAP (Kumar et al. 2018) | `predictors` | `sap` |

The `*_from_codes` functions score given points, so codes exported by any
library (`representations.npz`: `codes`, `factors`) can be re-scored.
"""

import numpy as np

from unsup_jax.eval.disentanglement import information, interventions, \
    predictors

METRICS = {
    "beta_vae": interventions.beta_vae_score,
    "factor_vae": interventions.factor_vae_score,
    "mig": information.mig,
    "modularity_explicitness": information.modularity_explicitness,
    "dci": predictors.dci,
    "sap": predictors.sap,
}


def rng_of(name: str, seed: int = 0) -> np.random.Generator:
  """The stream of points metric `name` draws from under `seed` (the same
  whichever other metrics are scored with it)."""
  return np.random.default_rng([seed, list(METRICS).index(name)])


def score(sampler, representation_fn, *, seed: int = 0,
          settings: dict | None = None, names=tuple(METRICS)) -> dict:
  """Every metric in `names`, each from its own seeded stream of points
  (`rng_of`); `settings` maps a metric name to keyword arguments (sample
  sizes)."""
  out = {}
  for name in names:
    if name not in METRICS:
      raise ValueError(f"unknown disentanglement metric {name!r}; choose "
                       f"from {', '.join(METRICS)}")
    rng = rng_of(name, seed)
    out.update(METRICS[name](sampler, representation_fn, rng,
                             **(settings or {}).get(name, {})))
  return out
