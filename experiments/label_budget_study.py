"""When unlabelled data helps: the labels alone (with and without
augmentation), label spreading, M1, M2, M1+M2, VAT and FixMatch on
mnist5k with 100, 300, 1,000 and all 4,000 labels, and at 100 labels with
0, 500, 1,000, 2,000 and all 3,900 unlabelled images; 3 seeds each (the
seed also draws the labelled subset).

Trains every model as a resumable sub-run (`WORKDIR/runs/vat_n100_urest_seed0`,
...) and reports test accuracy as mean ± std over the seeds, as two tables
and two curves (accuracy against labels; accuracy against unlabelled
images, one line per method), with the confusion matrix of the best model
at 100 labels and the conditional generation of the best generative one.

  python launch.py --config=experiments/label_budget_study.py \\
      --workdir=workdirs/label_budget_study

`--config.label_budget_study.models="('vat','supervised_aug')"` runs some
models, `--config.label_budget_study.label_counts=100,1000` some counts.
Every model at every count is 168 sub-runs (3 seeds x 56) of up to 5
minutes each: about 6-7 hours on 2 cores (estimated from the single runs'
times). README's row is the consistency methods and the baselines
(`supervised_aug`, `label_propagation`, `vat`, `fixmatch`) at 100 and
1,000 labels and 500 or all unlabelled images: 33 sub-runs, 89 minutes.
"""

from unsup_jax import configs
from unsup_jax.configs import label_budget_study


def get_config(arg=None):
  c = label_budget_study.config()
  if arg == "smoke":
    c.label_budget_study.update(
        model_variant="smoke", seeds=(0,), label_counts=(20,),
        unlabelled_labels=20, unlabelled_counts=(0, 50),
        models=("supervised", "label_propagation", "m2", "fixmatch"))
  return configs.variant(c, arg)
