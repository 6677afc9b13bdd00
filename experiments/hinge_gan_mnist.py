"""DCGAN on mnist5k trained with the hinge loss (Lim & Ye 2017), with
`dcgan_mnist`'s recipe: half-width networks (generator 7x7x64 -> 14x14x32
-> 28x28x1, discriminator 32 and 64 channels), lazy R1 (γ = 1, every 4th
step), a moving-average generator (decay 0.999 from step 1,000), 12,000
steps.

Measured (2 CPU cores shared with other work part of the time, 985 s of
training and evaluations): FID 65.3 (raw generator 68.3) against a
real-data floor of 10.8, KID 14.0 (raw 22.5; floor 2.35), all 10 classes
present, the rarest at 6.8%; FID curve (raw) 149, 99, 92, 78, 72 at
2,000-10,000 steps. Before R1 and the average (full width, 2,000 steps):
FID 153.4.

  python launch.py --config=experiments/hinge_gan_mnist.py \\
      --workdir=workdirs/hinge_gan_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import gan


def get_config(arg=None):
  c = gan.config(loss="hinge")
  c.gan.update(g_channels=64, d_channels=32, r1_gamma=0.1, r1_every=4,
               ema_decay=0.999, ema_start=1000, g_learning_rate=5e-4,
               d_learning_rate=5e-4, decay_from=0.5)
  c.data.batch_size = 64
  c.train.num_steps = 18000
  c.train.eval_every = 3000
  c.train.checkpoint_every = 3000
  return configs.variant(c, arg)
