"""DCGAN on mnist5k with the non-saturating loss (Goodfellow et al. 2014).

Generator 64-d noise -> 7x7x128 -> 14x14x64 -> 28x28x1; discriminator
28 -> 14 -> 7 with 64 and 128 channels; Adam(2e-4, 0.5) for both.

  python launch.py --config=experiments/dcgan_mnist.py \\
      --workdir=workdirs/dcgan_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import gan


def get_config(arg=None):
  c = gan.config(loss="non_saturating")
  c.gan.ema_decay, c.gan.ema_start = 0.999, 500
  c.data.batch_size = 64
  c.train.num_steps = 2000
  c.train.eval_every = 500
  c.train.checkpoint_every = 500
  return configs.variant(c, arg)
