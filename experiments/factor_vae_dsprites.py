"""FactorVAE (Kim & Mnih 2018) on `dsprites_procedural`: the ELBO plus
gamma = 20 times the total correlation estimated by a discriminator on
codes (5 x 1,000 leaky-ReLU MLP, Adam 1e-4, betas 0.5 / 0.9). Networks and
budget as `beta_vae_dsprites`; scored with the disentanglement metrics.

  python launch.py --config=experiments/factor_vae_dsprites.py \\
      --workdir=workdirs/factor_vae_dsprites
"""

from unsup_jax import configs
from unsup_jax.configs import disentangle, factor_vae


def get_config(arg=None):
  c = disentangle.vae_config(base=factor_vae.config)
  c.factor_vae.gamma = 20.0
  return configs.variant(c, arg)
