"""Which stabilisers make the DCGAN of `dcgan_mnist` work: each added alone
to plain DCGAN, and each left out of the full recipe, three seeds each.

The recipe's stabilisers are the moving-average generator and R1; spectral
normalisation, two time scales and one-sided label smoothing are also tried
alone on plain DCGAN. 7 variants x 3 seeds x 2,000 steps, so that the
recipe's moving average (from step 1,000) has 1,000 steps to act.

Measured on the current (half-width) recipe at 800 steps, 990 s of
training for the 21 sub-runs on 2 cores, final FID mean ± std (floor
10.8): plain 1006 ± 122, + R1 357 ± 66, + spectral norm 378 ± 21, + two
time scales 947 ± 148, + label smoothing 1004 ± 148; at 800 steps the
moving average had not started, so "+ average" equalled plain and the full
recipe equalled + R1 exactly, which is why the budget is now 2,000 steps.

Measured at 2,000 steps (the run `make results` recorded: 33 min on 2
cores), final FID mean ± std: plain 298 ± 49, + average 810 ± 142, + R1
164 ± 8, + spectral norm 163 ± 4, + two time scales 1083 ± 76, + label
smoothing 678 ± 375, full recipe 189 ± 10 (its raw generator 164 ± 8). R1
or spectral normalisation alone makes the GAN learn; the average, 1,000
steps old, still costs FID at this budget.

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
  c.ablation.num_steps = 2000
  c.ablation.eval_every = 500
  if arg == "smoke":
    c.ablation.model_variant = "smoke"
    c.ablation.seeds = (0,)
    c.ablation.stabilisers, c.ablation.also_alone = ("ema",), ()
    c.ablation.num_steps = 4
    c.ablation.eval_every = 2
  return configs.variant(c, arg)
