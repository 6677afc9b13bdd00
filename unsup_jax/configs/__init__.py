"""Experiment configs without JAX: the engine's base and each method's sections.

Each method owns one module here (`configs/vae.py`, `configs/gan.py`, ...)
with its section's defaults and limits (`schema.Field`s) and its cross-field
rules; `validate(config)` checks the engine's sections and the method's in
one pass, so every numeric field is checked the same way. An experiment file
builds its config from these modules only:

  from unsup_jax import configs
  from unsup_jax.configs import vae

  def get_config(arg=None):
    c = vae.config()
    c.vae.latent_dim = 20
    return configs.variant(c, arg)
"""

import functools
import importlib
import pkgutil
import types

import ml_collections

from unsup_jax.configs import base, schema
from unsup_jax.configs.base import base_config
from unsup_jax.errors import UserError

__all__ = ["base", "base_config", "method_names", "module", "schema",
           "validate", "variant"]


@functools.lru_cache(maxsize=None)
def method_names() -> tuple[str, ...]:
  """Every method's name: the modules here that declare their `SECTIONS`
  and a `config()` (the others are the engine's `base` and helpers:
  `schema`, `files`, ...). The method itself is
  `unsup_jax/methods/<family>/<name>.py` (`methods.registry`)."""
  package = importlib.import_module("unsup_jax.configs")
  names = []
  for info in pkgutil.iter_modules(package.__path__):
    m = importlib.import_module(f"unsup_jax.configs.{info.name}")
    if hasattr(m, "SECTIONS") and hasattr(m, "config"):
      names.append(info.name)
  return tuple(sorted(names))


def module(method: str) -> types.ModuleType:
  """The config module of `method` (a UserError for an unknown name)."""
  if method not in method_names():
    raise UserError(f"config.method {method!r} is unknown; choose one of "
                    f"{', '.join(method_names())}")
  return importlib.import_module(f"unsup_jax.configs.{method}")


def validate(config: ml_collections.ConfigDict) -> None:
  """Raises a one-line UserError naming the first impossible setting."""
  base.check(config)
  m = module(config.method)
  for name, fields in m.SECTIONS.items():
    if name not in config:
      raise UserError(f"config.{name} is missing; method {config.method!r} "
                      f"needs it (start from unsup_jax.configs."
                      f"{config.method}.config())")
    schema.check(config[name], fields, name)
  if hasattr(m, "check"):
    m.check(config)


def variant(config: ml_collections.ConfigDict,
            arg: str | None) -> ml_collections.ConfigDict:
  """`get_config(arg)`'s variant: the config itself, or "smoke" (a few
  seconds of work: engine fields by `base.make_smoke`, method fields by the
  method module's `smoke`)."""
  config = base.apply_variant(config, arg)
  if arg == "smoke":
    m = module(config.method)
    if hasattr(m, "smoke"):
      m.smoke(config)
  return config

