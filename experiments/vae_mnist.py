"""Bernoulli MLP VAE 784-512-20 on mnist5k (the default experiment).

Kingma & Welling (2014). Dynamic binarisation; test NLL by the IWAE bound
with k = 1000. About 2 minutes on 2 CPU cores.

  python launch.py --config=experiments/vae_mnist.py --workdir=workdirs/vae_mnist
"""

from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = base_config()
  c.method = "vae"
  c.data.binarize = "dynamic"
  c.model.kind = "mlp"
  c.model.encoder_hidden = (512,)
  c.model.decoder_hidden = (512,)
  c.model.latent_dim = 20
  c.train.num_steps = 6000
  c.train.eval_every = 2000
  c.train.checkpoint_every = 2000
  return apply_variant(c, arg)
