"""Deterministic MLP autoencoder 784-512-20 on mnist5k (gray-scale, BCE loss).

The baseline that the VAE adds a prior to: compare its latent space and
interpolations with vae_mnist.

  python launch.py --config=experiments/ae_mnist.py --workdir=workdirs/ae_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import autoencoder


def get_config(arg=None):
  c = autoencoder.config()
  c.data.binarize = "none"
  c.autoencoder.likelihood = "bce"
  c.train.num_steps = 3000
  return configs.variant(c, arg)
