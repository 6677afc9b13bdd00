"""Denoising autoencoder on mnist5k: masking noise on 30% of the pixels.

Vincent et al. (2008, 2010): each training image has 30% of its pixels,
chosen at random, set to 0 (the data layer's `corrupted` feature); the
784-512-32-512-784 MLP (BCE loss) learns to reconstruct the clean image. The
test set is corrupted the same way with fixed keys: `test_mse` scores the
denoised images, `test_mse_clean_input` the reconstructions of clean inputs.

  python launch.py --config=experiments/denoising_ae_mnist.py \\
      --workdir=workdirs/denoising_ae_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import autoencoder


def get_config(arg=None):
  c = autoencoder.config()
  c.data.binarize = "none"
  c.data.corruption = "masking"
  c.data.corruption_level = 0.3
  c.autoencoder.likelihood = "bce"
  c.autoencoder.latent_dim = 32
  c.train.num_steps = 3000
  return configs.variant(c, arg)
