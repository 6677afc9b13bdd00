"""beta-VAE (Higgins et al. 2017) on mnist5k: beta = 4, 10 latent units.

A stronger KL weight trades reconstruction for a more factorised code: compare
its traversals and active units with vae_mnist. Add
`--config.vae.capacity_max=25 --config.vae.capacity_steps=3000` for the
capacity objective of Burgess et al. (2018).

  python launch.py --config=experiments/beta_vae_mnist.py \\
      --workdir=workdirs/beta_vae_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import vae


def get_config(arg=None):
  c = vae.config()
  c.data.binarize = "dynamic"
  c.vae.encoder_hidden = (512, 256)
  c.vae.decoder_hidden = (256, 512)
  c.vae.latent_dim = 10
  c.vae.beta = 4.0
  c.vae.kl_warmup_steps = 500
  c.train.num_steps = 4000
  return configs.variant(c, arg)
