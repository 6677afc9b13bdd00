"""Convolutional VAE on mnist5k: 4x4 stride-2 convolutions 32-64, 16 latents.

Same objective as vae_mnist with convolutional encoder and decoder.
"""

from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = base_config()
  c.method = "vae"
  c.data.binarize = "dynamic"
  c.model.kind = "conv"
  c.model.encoder_hidden = (32, 64)
  c.model.decoder_hidden = (64, 32)
  c.model.latent_dim = 16
  c.train.num_steps = 3000
  return apply_variant(c, arg)
