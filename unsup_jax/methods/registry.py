"""`config.method` -> the method module that builds it.

Each `unsup_jax.methods.<name>` provides `build(config, spec) -> Method` (or
`Study`), `spec` being the data's `data.dataset.Spec`; modules are imported
when first used. A module whose `build` also takes `workdir` gets the run
directory (for caches that outlive one evaluation, e.g. the feature network
of FID), None when there is none. The names are `configs.METHODS`: each
method's config section lives in `unsup_jax.configs.<name>`.
"""

import importlib
import inspect

import ml_collections

from unsup_jax import configs


def build(config: ml_collections.ConfigDict, spec, workdir: str | None = None):
  """The method named by `config.method`, built for data of `spec`."""
  configs.module(config.method)  # a UserError for an unknown name
  module = importlib.import_module(f"unsup_jax.methods.{config.method}")
  if "workdir" in inspect.signature(module.build).parameters:
    return module.build(config, spec, workdir=workdir)
  return module.build(config, spec)


def sub_runs(configs_by_name: dict, dataset, workdir: str | None = None
             ) -> list:
  """A study's `SubRun`s: each config built as its method on the study's
  `dataset` (prepared with the sub-run's own data settings)."""
  from unsup_jax.data import streams  # pylint: disable=g-import-not-at-top
  from unsup_jax.training.contract import SubRun  # pylint: disable=g-import-not-at-top
  out = []
  for name, sub in configs_by_name.items():
    data = streams.prepare(dataset, sub)
    out.append(SubRun(name, sub, build(sub, data.spec(), workdir), data))
  return out
