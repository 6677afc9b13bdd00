"""Config of the disentanglement study
(`methods/disentanglement/disentanglement_study.py`): section `study`. Every
model is a sub-run built from its experiment's config (`MODELS`), on each
dataset, with each seed."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Float, Int, Ints, Str, Strs

# model -> (experiment, `vae`-section overrides)
MODELS = {
    "beta_vae_1": ("beta_vae_dsprites", dict(beta=1.0)),
    "beta_vae_4": ("beta_vae_dsprites", dict(beta=4.0)),
    "beta_vae_16": ("beta_vae_dsprites", dict(beta=16.0)),
    "beta_tcvae": ("beta_tcvae_dsprites", {}),
    "factor_vae": ("factor_vae_dsprites", {}),
    "dip_vae_i": ("dip_vae_dsprites", {}),
    "ada_gvae": ("ada_gvae_dsprites", {}),
}
DATASETS = ("dsprites_procedural", "colour_sprites")
METRICS = ("beta_vae_eval_accuracy", "factor_vae_eval_accuracy", "mig",
           "dci_disentanglement", "dci_completeness",
           "dci_informativeness_test", "sap", "modularity", "explicitness")

FIELDS = dict(
    models=Strs(tuple(MODELS), choices=tuple(MODELS)),
    datasets=Strs(DATASETS, choices=DATASETS),
    seeds=Ints((0, 1, 2), min=0),
    num_steps=Int(1000, min=1, doc="training steps of every sub-run"),
    num_train=Int(5000, min=1, doc="training images of every dataset "
                  "(pairs: half as many pairs)"),
    disentangle_scale=Float(0.05, above=0.0, doc="metric sample sizes as a "
                            "fraction of disentanglement_lib's"),
    channels=Ints((32, 32, 64, 64), min=1, doc="encoder convolutions "
                  "(the decoder's reversed; disentanglement_lib: 32, 32, "
                  "64, 64)"),
    batch_size=Int(64, min=2, doc="training batch (pairs for Ada-GVAE)"),
    num_test=Int(1000, min=2, doc="test images (ELBO, KL per unit)"),
    iwae_samples=Int(50, min=1, doc="samples of the test NLL bound"),
    model_variant=Str("", doc="'smoke': the experiments' smoke variants"),
)
SECTIONS = {"study": FIELDS}


def config():
  return base.with_sections("disentanglement_study", SECTIONS)
