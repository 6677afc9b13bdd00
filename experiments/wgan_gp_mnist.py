"""WGAN-GP on mnist5k (Gulrajani et al. 2017): the Wasserstein critic with
a gradient penalty of weight 10, five critic updates per generator update,
Adam(1e-4, beta1 = 0, beta2 = 0.9) as in the paper.

4,000 generator steps: at 1,000 (431 s of training on 2 cores) the FID was
still falling fast, 1011 / 717 / 495 / 319 at steps 250 / 500 / 750 /
1,000 (floor 11.0). The 4,000 steps (the run `make results` recorded:
10 min 35 s on 2 cores, 610 s of it training) reach FID 107.2 (floor 10.8),
still falling: 695 / 312 / 168 / 145 / 132 / 125 / 118 at steps 500-3,500.

  python launch.py --config=experiments/wgan_gp_mnist.py \\
      --workdir=workdirs/wgan_gp_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import gan


def get_config(arg=None):
  c = gan.config(loss="wasserstein")
  c.gan.gradient_penalty = 10.0
  c.gan.n_critic = 5
  c.gan.g_channels, c.gan.d_channels = 64, 32   # five critic steps: smaller nets
  c.gan.g_learning_rate = c.gan.d_learning_rate = 2e-4
  c.gan.beta1, c.gan.beta2 = 0.0, 0.9
  c.gan.decay_from = 0.5
  c.data.batch_size = 64
  c.train.num_steps = 6000
  c.train.eval_every = 1000
  c.train.checkpoint_every = 1000
  return configs.variant(c, arg)
