"""DCGAN on mnist5k with the non-saturating loss (Goodfellow et al. 2014).

Generator 64-d noise -> 7x7x64 -> 14x14x32 -> 28x28x1; discriminator
28 -> 14 -> 7 with 32 and 64 channels; Adam(2e-4, 0.5) for both. Two
stabilisers: an R1 penalty of weight 1 on the discriminator (Mescheder et
al. 2018), computed lazily on every 4th step with weight 4 (Karras et al.
2020), and samples and FID from a moving average of the generator (decay
0.999 from step 1,000; the raw generator's FID is reported beside it).

The networks are half the width of Radford et al.'s, so that 12,000 steps
fit in 15 minutes on 2 CPU cores: at equal wall time, more steps of the
narrower pair beat fewer of the wider one (FID 116 after 2,500 steps of the
full width).

Measured (2 CPU cores, partly shared with other work): the 12,000 steps
with their evaluations took 747 s (train_seconds_this_run), after 20 s for
the FID network; FID 65.9 (raw generator 63.2) against a real-data floor of
10.8, KID 14.0 (floor 2.35), all 10 classes present, the rarest at 7.5%.
The FID curve (2,000-step evaluations: 182, 113, 102, 83, 71, 63 raw) was
still falling at the end. DiffAugment (`gan.augment="translation,cutout"`)
made it worse at this budget: FID 115.6.

  python launch.py --config=experiments/dcgan_mnist.py \\
      --workdir=workdirs/dcgan_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import gan


def get_config(arg=None):
  c = gan.config(loss="non_saturating")
  c.gan.update(g_channels=64, d_channels=32, r1_gamma=0.1, r1_every=4,
               ema_decay=0.999, ema_start=1000, g_learning_rate=5e-4,
               d_learning_rate=5e-4, decay_from=0.5)
  c.data.batch_size = 64
  c.train.num_steps = 18000
  c.train.eval_every = 3000
  c.train.checkpoint_every = 3000
  return configs.variant(c, arg)
