"""Convolutional VAE on mnist5k: 4x4 stride-2 convolutions 32-64, 16 latents.

Same objective as vae_mnist with convolutional encoder and decoder.

  python launch.py --config=experiments/conv_vae_mnist.py \\
      --workdir=workdirs/conv_vae_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import vae


def get_config(arg=None):
  c = vae.config()
  c.data.binarize = "dynamic"
  c.vae.kind = "conv"
  c.vae.encoder_hidden = (32, 64)
  c.vae.decoder_hidden = (64, 32)
  c.vae.latent_dim = 16
  c.train.num_steps = 3000
  return configs.variant(c, arg)
