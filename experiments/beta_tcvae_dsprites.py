"""β-TCVAE (Chen et al. 2018) on `dsprites_procedural`: the KL term split
into index-code mutual information, total correlation (weight β = 6) and
dimension-wise KL (weights 1), q(z) estimated over each batch by minibatch
weighted sampling. Networks and budget as `beta_vae_dsprites`; scored with
the disentanglement metrics.

  python launch.py --config=experiments/beta_tcvae_dsprites.py \\
      --workdir=workdirs/beta_tcvae_dsprites
"""

from unsup_jax import configs
from unsup_jax.configs import disentangle


def get_config(arg=None):
  c = disentangle.vae_config(beta=6.0, objective="tcvae")
  return configs.variant(c, arg)
