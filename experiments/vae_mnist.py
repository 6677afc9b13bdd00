"""Bernoulli MLP VAE 784-512-20 on mnist5k (the default experiment).

Kingma & Welling (2014). Dynamic binarisation; test NLL by the IWAE bound
with k = 1000.

  python launch.py --config=experiments/vae_mnist.py --workdir=workdirs/vae_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import vae


def get_config(arg=None):
  c = vae.config()
  c.data.binarize = "dynamic"
  c.vae.kind = "mlp"
  c.vae.encoder_hidden = (512,)
  c.vae.decoder_hidden = (512,)
  c.vae.latent_dim = 20
  c.train.num_steps = 6000
  c.train.eval_every = 2000
  c.train.checkpoint_every = 2000
  return configs.variant(c, arg)
