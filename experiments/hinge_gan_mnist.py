"""DCGAN on mnist5k trained with the hinge loss (Lim & Ye 2017).

  python launch.py --config=experiments/hinge_gan_mnist.py \\
      --workdir=workdirs/hinge_gan_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import gan


def get_config(arg=None):
  c = gan.config(loss="hinge")
  c.data.batch_size = 64
  c.train.num_steps = 2000
  c.train.eval_every = 500
  c.train.checkpoint_every = 500
  return configs.variant(c, arg)
