"""Denoising adversarial autoencoder on mnist5k (Creswell & Bharath 2017):
the denoising autoencoder of `denoising_ae_mnist` (784-512-32-512-784 MLP,
BCE, masking noise on 30% of the pixels) whose codes a discriminator
matches to N(0, I) (Makhzani et al. 2016), so that it also samples.

Compare `test_mse` (denoised test images) with `denoising_ae_mnist`'s, and
its `prior_samples` figure with `vae_mnist`'s.

  python launch.py --config=experiments/denoising_aae_mnist.py \\
      --workdir=workdirs/denoising_aae_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import aae


def get_config(arg=None):
  c = aae.config()
  c.data.binarize = "none"
  c.data.corruption = "masking"
  c.data.corruption_level = 0.3
  c.autoencoder.likelihood = "bce"
  c.autoencoder.latent_dim = 32
  c.aae.disc_hidden = (256, 256)
  c.train.num_steps = 3000
  return configs.variant(c, arg)
