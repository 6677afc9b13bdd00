"""Ada-GVAE (Locatello et al. 2020) on `dsprites_procedural_pairs`: pairs
of images that share a random number (0 to 4) of dSprites factors, the
model told neither how many nor which; the units whose two posteriors are
closest are averaged. β = 1 (the paper's best setting is near it).
Networks and budget as `beta_vae_dsprites` (5,000 pairs: 10,000 images);
scored with the disentanglement metrics. `--config.weak.aggregation=mlvae`
gives Ada-ML-VAE.

  python launch.py --config=experiments/ada_gvae_dsprites.py \\
      --workdir=workdirs/ada_gvae_dsprites
"""

from unsup_jax import configs
from unsup_jax.configs import disentangle, weak_vae


def get_config(arg=None):
  c = disentangle.vae_config(base=weak_vae.config,
                             dataset="dsprites_procedural_pairs")
  c.data.num_train = 5000
  c.weak.aggregation = "gvae"
  return configs.variant(c, arg)
