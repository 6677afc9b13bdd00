"""Method names used in configs (`config.method`) -> the module building them.

Each module provides `build(config, image_shape) -> Method`; modules are
imported when first used. A module whose `build` also takes `workdir` gets
the run directory (for caches that outlive one evaluation, e.g. the feature
network of FID) — None when training in memory.
"""

import importlib
import inspect

import ml_collections

from unsup_jax.errors import UserError
from unsup_jax.methods.base import Method

MODULES = {
    "vae": "unsup_jax.methods.vae",
    "autoencoder": "unsup_jax.methods.autoencoder",
    "pca": "unsup_jax.methods.pca",
    "anomaly": "unsup_jax.methods.anomaly",
    "inpainting": "unsup_jax.methods.inpainting",
    "semantic_hashing": "unsup_jax.methods.semantic_hashing",
    "ae_vs_pca": "unsup_jax.methods.ae_vs_pca",
    "vqvae": "unsup_jax.methods.vqvae",
    "gan": "unsup_jax.methods.gan",
}


def build(config: ml_collections.ConfigDict,
          image_shape: tuple[int, int, int],
          workdir: str | None = None) -> Method:
  """The method named by `config.method`, built for images of `image_shape`."""
  if config.method not in MODULES:
    raise UserError(f"config.method {config.method!r} is unknown; choose one "
                    f"of {', '.join(sorted(MODULES))}")
  module = importlib.import_module(MODULES[config.method])
  if "workdir" in inspect.signature(module.build).parameters:
    return module.build(config, tuple(image_shape), workdir=workdir)
  return module.build(config, tuple(image_shape))
