"""Denoising autoencoder on mnist5k: masking noise on 30% of the pixels.

Vincent et al. (2008, 2010): each training image has 30% of its pixels,
chosen at random, set to 0; the 784-512-32-512-784 MLP (BCE loss) learns to
reconstruct the clean image. The test set is corrupted the same way with a
fixed key: `test_mse` scores the denoised images, `test_mse_clean_input` the
reconstructions of clean inputs.
"""

from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = base_config()
  c.method = "autoencoder"
  c.data.binarize = "none"
  c.data.corruption = "masking"
  c.data.corruption_level = 0.3
  c.model.likelihood = "bce"
  c.model.latent_dim = 32
  c.train.num_steps = 3000
  return apply_variant(c, arg)
