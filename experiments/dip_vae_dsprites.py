"""DIP-VAE-I (Kumar et al. 2018) on `dsprites_procedural`: the ELBO plus
lambda_od = 10 times the squared off-diagonal and lambda_d = 100 times the
squared (diagonal - 1) entries of the covariance of the posterior means
(disentanglement_lib's setting). `--config.vae.objective=dip_vae_ii` with
`--config.vae.dip_lambda_d=10` gives DIP-VAE-II. Networks and budget as
`beta_vae_dsprites`; scored with the disentanglement metrics.

  python launch.py --config=experiments/dip_vae_dsprites.py \\
      --workdir=workdirs/dip_vae_dsprites
"""

from unsup_jax import configs
from unsup_jax.configs import disentangle


def get_config(arg=None):
  c = disentangle.vae_config(objective="dip_vae_i")
  c.vae.update(dip_lambda_od=10.0, dip_lambda_d=100.0)
  return configs.variant(c, arg)
