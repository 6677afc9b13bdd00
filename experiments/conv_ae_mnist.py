"""Convolutional autoencoder on mnist5k: 4x4 stride-2 convolutions, 10 units.

The deterministic counterpart of conv_vae_mnist (conv trunks 32-64 / 64-32,
BCE loss on gray pixels) with a 10-dimensional linear code. 800 steps keep
the run near 2 minutes on 2 CPU cores (about 9 steps/s).
"""

from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = base_config()
  c.method = "autoencoder"
  c.data.binarize = "none"
  c.model.kind = "conv"
  c.model.encoder_hidden = (32, 64)
  c.model.decoder_hidden = (64, 32)
  c.model.latent_dim = 10
  c.model.likelihood = "bce"
  c.train.num_steps = 800
  return apply_variant(c, arg)
