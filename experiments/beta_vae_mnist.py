"""beta-VAE (Higgins et al. 2017) on mnist5k: beta = 4, 10 latent units.

A stronger KL weight trades reconstruction for a more factorised code: compare
its traversals and active units with vae_mnist. Set
`--config.loss.capacity_max=25 --config.loss.capacity_steps=3000` for the
capacity objective of Burgess et al. (2018).
"""

from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = base_config()
  c.method = "vae"
  c.data.binarize = "dynamic"
  c.model.encoder_hidden = (512, 256)
  c.model.decoder_hidden = (256, 512)
  c.model.latent_dim = 10
  c.loss.beta = 4.0
  c.loss.kl_warmup_steps = 500
  c.train.num_steps = 4000
  return apply_variant(c, arg)
