"""VQ-VAE on CIFAR-10 through tensorflow-datasets (the paper's setting).

32x32x3 images to an 8x8 map of 512 codes of 64 dimensions, 128 channels
(van den Oord et al. 2017, Section 4.1, at reduced width), then the PixelCNN
prior. Needs the `cifar10` data set in the tfds data_dir (no download is
attempted on machines without network); a GPU or TPU is advised.

  python launch.py --config=experiments/vqvae_cifar10.py \\
      --config.data.data_dir=/path/to/tfds
"""

from unsup_jax import configs
from unsup_jax.configs import vqvae


def get_config(arg=None):
  c = vqvae.config(levels=1)
  c.data.name = "tfds:cifar10"
  c.data.batch_size = 128
  c.vq.update(num_codes=512, embedding_dim=64, hidden=128, residual_hidden=64)
  c.train.num_steps = 50000
  c.train.eval_every = 5000
  c.train.checkpoint_every = 5000
  c.prior.update(num_steps=50000, channels=128, num_layers=12)
  if arg == "smoke":   # the data path at real scale; a small model
    c.vq.update(num_codes=32, embedding_dim=8, hidden=32, residual_hidden=16)
    c.prior.update(channels=16, num_layers=2)
  return configs.variant(c, arg)
