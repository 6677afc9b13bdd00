"""VQ-VAE-2 on mnist5k: a 7x7 bottom and a 4x4 top code map, two priors.

The bottom codes are conditioned on the top (Razavi et al. 2019); the top
prior is unconditional, the bottom prior is conditioned on the top map.
"""

from unsup_jax.methods.vqvae import add_config
from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = add_config(base_config(), levels=2)
  c.data.batch_size = 64
  c.vq.num_codes = 64
  c.train.num_steps = 3000
  c.prior.num_steps = 2000
  return apply_variant(c, arg)
