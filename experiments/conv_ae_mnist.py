"""Convolutional autoencoder on mnist5k: 4x4 stride-2 convolutions, 10 units.

The deterministic counterpart of conv_vae_mnist (conv trunks 32-64 / 64-32,
BCE loss on gray pixels) with a 10-dimensional linear code. 800 steps keep
the run near 2 minutes on 2 CPU cores (about 9 steps/s).

  python launch.py --config=experiments/conv_ae_mnist.py \\
      --workdir=workdirs/conv_ae_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import autoencoder


def get_config(arg=None):
  c = autoencoder.config()
  c.data.binarize = "none"
  c.autoencoder.kind = "conv"
  c.autoencoder.encoder_hidden = (32, 64)
  c.autoencoder.decoder_hidden = (64, 32)
  c.autoencoder.latent_dim = 10
  c.autoencoder.likelihood = "bce"
  c.train.num_steps = 800
  return configs.variant(c, arg)
