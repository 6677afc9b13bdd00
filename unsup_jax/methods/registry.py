"""Method names used in configs (`config.method`) -> their builders."""

import ml_collections

from unsup_jax.errors import UserError
from unsup_jax.methods import autoencoder, vae
from unsup_jax.methods.base import Method

BUILDERS = {
    "vae": vae.build,
    "autoencoder": autoencoder.build,
}


def build(config: ml_collections.ConfigDict,
          image_shape: tuple[int, int, int]) -> Method:
  """The method named by `config.method`, built for images of `image_shape`."""
  if config.method not in BUILDERS:
    raise UserError(f"config.method {config.method!r} is unknown; choose one "
                    f"of {', '.join(sorted(BUILDERS))}")
  return BUILDERS[config.method](config, tuple(image_shape))
