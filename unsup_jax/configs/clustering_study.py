"""Config of the clustering study (`methods/clustering/clustering_study.py`):
section `clustering_study`. DEC, IDEC and VaDE are sub-runs built from their
experiments' configs, one per seed; the baselines run in the evaluation."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Float, Int, Ints, Str

FIELDS = dict(
    dec_experiment=Str("dec_mnist", doc="experiments/NAME.py of DEC"),
    idec_experiment=Str("idec_mnist", doc="experiments/NAME.py of IDEC"),
    vade_experiment=Str("vade_mnist", doc="experiments/NAME.py of VaDE"),
    model_variant=Str("", doc="'smoke': the experiments' smoke variants"),
    seeds=Ints((0, 1, 2), min=0, doc="one sub-run per model and seed"),
    num_clusters=Int(10, min=2, doc="of the baselines"),
    restarts=Int(10, min=1, doc="k-means++ starts of the baselines"),
    pca_components=Int(10, min=1, doc="PCA codes the baselines cluster"),
    reg_covar=Float(1e-2, above=0.0,
                    doc="added to the GMM variances on pixels and PCA codes"),
)
SECTIONS = {"clustering_study": FIELDS}


def config():
  return base.with_sections("clustering_study", SECTIONS)
