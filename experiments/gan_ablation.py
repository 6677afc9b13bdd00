"""Which stabilisers make the DCGAN of `dcgan_mnist` work: each added alone
to plain DCGAN, and each left out of the full recipe, three seeds each.

The recipe's stabilisers are the moving-average generator and R1; spectral
normalisation, two time scales and one-sided label smoothing are also tried
alone on plain DCGAN. 7 variants x 3 seeds x 800 steps.

Every variant is `experiments/dcgan_mnist.py` with the ablated stabilisers
that it lacks switched off, trained for `ablation.num_steps` steps as a
resumable sub-run (`WORKDIR/runs/VARIANT_seedS`); the report gives FID and
KID mean ± std over the seeds and the FID curves.

  python launch.py --config=experiments/gan_ablation.py \\
      --workdir=workdirs/gan_ablation
"""

from unsup_jax import configs
from unsup_jax.configs import gan_ablation


def get_config(arg=None):
  c = gan_ablation.config()
  c.ablation.experiment = "dcgan_mnist"
  c.ablation.stabilisers = ("ema", "r1")
  c.ablation.also_alone = ("spectral_norm", "ttur", "label_smoothing")
  c.ablation.seeds = (0, 1, 2)
  c.ablation.num_steps = 800
  c.ablation.eval_every = 200
  if arg == "smoke":
    c.ablation.model_variant = "smoke"
    c.ablation.seeds = (0,)
    c.ablation.stabilisers, c.ablation.also_alone = ("ema",), ()
    c.ablation.num_steps = 4
    c.ablation.eval_every = 2
  return configs.variant(c, arg)
