"""`config.method` -> the method module that builds it, found by name.

A method NAME is the module `unsup_jax.methods.FAMILY.NAME` that provides
`build(config, spec) -> Method` (or `Study`), `spec` being the data's
`data.dataset.Spec`, and whose config section lives in
`unsup_jax.configs.NAME` (`configs.method_names()`). The families are the
sub-packages of `unsup_jax.methods`; nothing here lists them or their
methods: `module_name` looks the name up among the families' modules
(without importing them), and the module is imported when first built. A
module whose `build` also takes `workdir` gets the run directory (for
caches that outlive one evaluation, e.g. the feature network of FID), None
when there is none.
"""

import functools
import importlib
import inspect
import pkgutil

import ml_collections

from unsup_jax import configs
from unsup_jax.errors import UserError


@functools.lru_cache(maxsize=None)
def family_modules() -> dict[str, str]:
  """`{module name: dotted path}` of every module of every family package
  (read from the file system; nothing is imported)."""
  package = importlib.import_module("unsup_jax.methods")
  found: dict[str, str] = {}
  for family in pkgutil.iter_modules(package.__path__):
    if not family.ispkg:
      continue
    path = [f"{p}/{family.name}" for p in package.__path__]
    for module in pkgutil.iter_modules(path):
      if module.name in found:
        raise ValueError(f"method module {module.name!r} is in two families: "
                         f"{found[module.name]} and {family.name}")
      found[module.name] = f"unsup_jax.methods.{family.name}.{module.name}"
  return found


def module_name(method: str) -> str:
  """`unsup_jax.methods.FAMILY.METHOD` (a UserError for an unknown name)."""
  configs.module(method)  # a UserError naming the known methods
  modules = family_modules()
  if method not in modules:
    raise UserError(f"config.method {method!r} has a config section but no "
                    f"module unsup_jax/methods/<family>/{method}.py")
  return modules[method]


def build(config: ml_collections.ConfigDict, spec, workdir: str | None = None):
  """The method named by `config.method`, built for data of `spec`."""
  module = importlib.import_module(module_name(config.method))
  if "workdir" in inspect.signature(module.build).parameters:
    return module.build(config, spec, workdir=workdir)
  return module.build(config, spec)


def sub_runs(data, *, configs_by_name: dict,
             workdir: str | None = None) -> list:
  """A study's `SubRun`s (its `runs(data)`, with the configs bound): each
  config built as its method on the dataset of the study's `data`,
  prepared with the sub-run's own data settings."""
  from unsup_jax.data import streams  # pylint: disable=g-import-not-at-top
  from unsup_jax.training.contract import SubRun  # pylint: disable=g-import-not-at-top
  out = []
  for name, sub in configs_by_name.items():
    sub_data = streams.prepare(data.dataset, sub)
    out.append(SubRun(name, sub, build(sub, sub_data.spec(), workdir),
                      sub_data))
  return out
