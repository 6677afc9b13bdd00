"""Deterministic MLP autoencoder 784-512-20 on mnist5k (gray-scale, BCE loss).

The baseline that the VAE adds a prior to: compare its latent space and
interpolations with vae_mnist.
"""

from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = base_config()
  c.method = "autoencoder"
  c.data.binarize = "none"
  c.model.likelihood = "bce"
  c.train.num_steps = 3000
  return apply_variant(c, arg)
