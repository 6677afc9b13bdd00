"""Clustering on mnist5k: k-means and a diagonal GMM on pixels, on PCA
codes and on autoencoder codes, against DEC, IDEC and VaDE, 3 seeds each.

Trains the deep models as resumable sub-runs (`WORKDIR/runs/dec_seed0`,
...), runs the baselines in the evaluation, and reports training-set
(transductive) and test-set ACC, NMI and ARI as mean ± std over the seeds,
with one figure of every seed's scores.

  python launch.py --config=experiments/clustering_study.py \\
      --workdir=workdirs/clustering_study
"""

from unsup_jax import configs
from unsup_jax.configs import clustering_study


def get_config(arg=None):
  c = clustering_study.config()
  if arg == "smoke":
    c.clustering_study.update(model_variant="smoke", seeds=(0,), restarts=2)
  return configs.variant(c, arg)
