"""M1+M2 (Kingma et al. 2014) on mnist5k with 100 labels: M1, a
784-600-600-50 VAE, trained on every training image; then M2 on codes drawn
from its encoder, with 100 class-balanced labelled images.

  python launch.py --config=experiments/m1m2_mnist.py \\
      --workdir=workdirs/m1m2_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import semi_supervised


def get_config(arg=None):
  return configs.variant(semi_supervised.config("m1m2"), arg)
