"""DCGAN on CIFAR-10 through tensorflow-datasets (real scale).

32x32x3 images, generator 4x4x256 -> 32x32x3 with three upsamplings. Needs
the `cifar10` data set in the tfds data_dir (no download is attempted
offline); a GPU or TPU is advised. FID/KID need a feature network for
32x32x3 images, which the project does not ship: this run reports losses,
samples and interpolations only.

  python launch.py --config=experiments/dcgan_cifar10.py \\
      --config.data.data_dir=/path/to/tfds
"""

from unsup_jax import configs
from unsup_jax.configs import gan


def get_config(arg=None):
  c = gan.config(loss="non_saturating")
  c.data.name = "tfds:cifar10"
  c.data.batch_size = 128
  c.gan.update(num_scales=3, g_channels=256, noise_dim=128)
  c.train.num_steps = 50000
  c.train.eval_every = 5000
  c.train.checkpoint_every = 5000
  if arg == "smoke":   # the data path at real scale; a small model
    c.gan.update(g_channels=32, d_channels=16, noise_dim=16)
  return configs.variant(c, arg)
