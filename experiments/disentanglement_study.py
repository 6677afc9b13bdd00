"""The disentanglement study: β-VAE at β = 1, 4 and 16, β-TCVAE, FactorVAE,
DIP-VAE-I and Ada-GVAE (the `*_dsprites` experiments' models), each on
`dsprites_procedural` and `colour_sprites` with 3 seeds: 42 resumable
sub-runs. The report gives each metric's mean ± std per model and
dataset, the spread over seeds against the spread over models, and strip
plots of every metric.

Sized to about an hour on 2 CPU cores: 800 steps of batch 32 per
sub-run (pairs for Ada-GVAE), on 5,000 training images, with the
encoder half as wide as disentanglement_lib's (16, 16, 32, 32), every
metric at 2% of disentanglement_lib's sample sizes (MIG and modularity
keep 10,000 points), and 500 test images with a 10-sample NLL bound.
Measured there per sub-run (β = 1): 64x64 dSprites trains at about 12
steps/s and its metrics take about 47 s; the 32x32 colour set trains at
about 43 steps/s, metrics 33 s. The models are far from converged at
this budget (disentanglement_lib trains 300,000 steps); `num_steps`,
`channels`, `batch_size` and `disentangle_scale` in `study` scale it up,
and `--config.study.seeds='(0,)'`, fewer models or one dataset make a
quicker pass.

  python launch.py --config=experiments/disentanglement_study.py \\
      --workdir=workdirs/disentanglement_study
"""

from unsup_jax import configs
from unsup_jax.configs import disentanglement_study


def get_config(arg=None):
  c = disentanglement_study.config()
  # The study's own data is not trained on (each sub-run loads its own).
  c.data.update(name="dsprites_procedural", binarize="none", num_train=64,
                num_test=64, batch_size=32)
  c.study.update(num_steps=800, num_train=5000, disentangle_scale=0.02,
                 channels=(16, 16, 32, 32), batch_size=32, num_test=500,
                 iwae_samples=10)
  if arg == "smoke":
    c.study.update(model_variant="smoke", models=("beta_vae_4", "ada_gvae"),
                   datasets=("colour_sprites",), seeds=(0,))
  return configs.variant(c, arg)
