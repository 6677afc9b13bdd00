"""The disentanglement study: β-VAE at β = 1, 4 and 16, β-TCVAE, FactorVAE,
DIP-VAE-I and Ada-GVAE (the `*_dsprites` experiments' models), each on
`dsprites_procedural` and `colour_sprites` with 3 seeds: 42 resumable
sub-runs of 1,000 steps on 5,000 training images, every metric at 5% of
disentanglement_lib's sample sizes. The report gives each metric's mean ±
std per model and dataset, the spread over seeds against the spread over
models, and strip plots of every metric.

Not yet sized to the hour it should take on 2 CPU cores: the conv VAE on
64x64 dSprites trains at about 2.9 steps/s there (measured on the first
sub-run, β = 1), so each dsprites sub-run's 1,000 steps take about 6
minutes before its metrics, and the 42 sub-runs several hours (the 32x32
colour sub-runs are cheaper). `--config.study.seeds=0,`, fewer models or
one dataset make a quicker pass.

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
  c.study.update(num_steps=1000, num_train=5000, disentangle_scale=0.05)
  if arg == "smoke":
    c.study.update(model_variant="smoke", models=("beta_vae_4", "ada_gvae"),
                   datasets=("colour_sprites",), seeds=(0,))
  return configs.variant(c, arg)
