"""VQ-VAE on mnist5k, then a gated PixelCNN prior over its 7x7 code maps.

128 codes of 16 dimensions, EMA codebook with k-means start and dead-code
restarts; the prior is trained as the run's second phase.
"""

from unsup_jax.methods.vqvae import add_config
from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = add_config(base_config(), levels=1)
  c.data.batch_size = 64
  c.train.num_steps = 3000
  c.prior.num_steps = 2000
  return apply_variant(c, arg)
