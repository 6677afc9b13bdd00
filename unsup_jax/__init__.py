"""unsup_jax: learning without labels in JAX/Flax, as pure functions.

`import unsup_jax as uj` gives the public API (`unsup_jax/api.py`):
`uj.get_config`, `uj.load_data`, `uj.build_method`, `uj.run`,
`uj.load_state`, `uj.evaluate`, and the packages `uj.ops`, `uj.losses`,
`uj.nn`, `uj.models`, `uj.methods`, `uj.data`, `uj.eval`, `uj.training`,
`uj.viz`, `uj.configs`. Everything is imported on first use, so importing
the configs alone (experiment files) never starts JAX.
"""

import importlib

_API = ("get_config", "load_data", "build_method", "run", "load_state",
        "evaluate")
_PACKAGES = ("configs", "data", "eval", "losses", "methods", "models", "nn",
             "ops", "training", "viz")

__all__ = list(_API) + list(_PACKAGES)


def __getattr__(name):
  if name in _API:
    return getattr(importlib.import_module("unsup_jax.api"), name)
  if name in _PACKAGES:
    return importlib.import_module(f"unsup_jax.{name}")
  raise AttributeError(f"module 'unsup_jax' has no attribute {name!r}")


def __dir__():
  return sorted(__all__)
