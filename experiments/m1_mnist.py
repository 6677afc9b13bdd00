"""M1 (Kingma et al. 2014) on mnist5k with 100 labels: a 784-600-600-50 VAE
on every training image, then a linear classifier on the posterior means of
the 100 class-balanced labelled images.

  python launch.py --config=experiments/m1_mnist.py --workdir=workdirs/m1_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import semi_supervised


def get_config(arg=None):
  return configs.variant(semi_supervised.config("m1"), arg)
