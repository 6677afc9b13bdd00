"""VQ-VAE on mnist5k, then a gated PixelCNN prior over its 7x7 code maps.

128 codes of 16 dimensions, EMA codebook started by k-means on the encoded
training set (a whole-data phase) with dead-code restarts; the prior is
trained as the run's last phase.

  python launch.py --config=experiments/vqvae_mnist.py \\
      --workdir=workdirs/vqvae_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import vqvae


def get_config(arg=None):
  c = vqvae.config(levels=1)
  c.data.batch_size = 64
  c.train.num_steps = 3000
  c.prior.num_steps = 2000
  return configs.variant(c, arg)
