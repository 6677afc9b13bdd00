"""Config of the clustering study (`methods/clustering/clustering_study.py`):
section `clustering_study`. The deep models are sub-runs built from their
experiments' configs, one per seed; the shallow baselines
(`methods/clustering/shallow.py`) run in the evaluation."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Float, Int, Ints, Str

FIELDS = dict(
    dec_experiment=Str("dec_mnist", doc="experiments/NAME.py of DEC"),
    idec_experiment=Str("idec_mnist", doc="experiments/NAME.py of IDEC"),
    vade_experiment=Str("vade_mnist", doc="experiments/NAME.py of VaDE"),
    n2d_experiment=Str("n2d_mnist", doc="experiments/NAME.py of N2D"),
    iic_experiment=Str("iic_mnist", doc="experiments/NAME.py of IIC"),
    model_variant=Str("", doc="'smoke': the experiments' smoke variants"),
    seeds=Ints((0, 1, 2), min=0, doc="one sub-run per model and seed"),
    num_clusters=Int(10, min=2, doc="of the baselines"),
    restarts=Int(10, min=1, doc="k-means++ starts of the baselines"),
    pca_components=Int(10, min=1, doc="PCA codes the baselines cluster"),
    reg_covar=Float(1e-2, above=0.0,
                    doc="added to the GMM variances on pixels and PCA codes"),
    spectral_neighbors=Int(10, min=2, doc="spectral clustering's graph"),
    umap_neighbors=Int(20, min=2, doc="UMAP + GMM on pixels"),
    umap_dims=Int(10, min=1, doc="UMAP + GMM on pixels"),
    test_neighbors=Int(10, min=1, doc="test images of spectral clustering "
                       "and UMAP + GMM: the cluster most common among this "
                       "many nearest training images"),
)
SECTIONS = {"clustering_study": FIELDS}


def config():
  return base.with_sections("clustering_study", SECTIONS)
