"""VQ-VAE-2 on mnist5k: a 7x7 bottom and a 4x4 top code map, two priors.

The bottom codes are conditioned on the top (Razavi et al. 2019); the top
prior is unconditional, the bottom prior is conditioned on the top map.

  python launch.py --config=experiments/vqvae2_mnist.py \\
      --workdir=workdirs/vqvae2_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import vqvae


def get_config(arg=None):
  c = vqvae.config(levels=2)
  c.data.batch_size = 64
  c.vq.num_codes = 64
  c.train.num_steps = 3000
  c.prior.num_steps = 2000
  return configs.variant(c, arg)
