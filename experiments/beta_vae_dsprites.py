"""β-VAE (Higgins et al. 2017) on `dsprites_procedural`, scored with the
disentanglement metrics (β-VAE and FactorVAE scores, MIG, DCI, SAP,
modularity, explicitness) at a tenth of disentanglement_lib's sample sizes.

Encoder 64x64 -> conv 32-32-64-64 (stride 2) -> 10 Gaussian units; decoder
the mirror; Bernoulli pixels; β = 4; Adam 5e-4, batch 64, 10,000 training
images.

  python launch.py --config=experiments/beta_vae_dsprites.py \\
      --workdir=workdirs/beta_vae_dsprites
"""

from unsup_jax import configs
from unsup_jax.configs import disentangle


def get_config(arg=None):
  c = disentangle.vae_config(beta=4.0)
  return configs.variant(c, arg)
