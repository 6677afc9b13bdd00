"""Config of the autoencoders-against-PCA study
(`methods/compression/ae_vs_pca.py`): section `compare`. Each autoencoder at
each size is a sub-run built from another experiment's config."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Dict, Int, Ints, Strs
from unsup_jax.errors import UserError

MODELS = ("pca", "linear_ae", "deep_ae", "conv_ae")

FIELDS = dict(
    sizes=Ints((2, 10, 32), min=1, doc="code sizes k"),
    models=Strs(MODELS, choices=MODELS),
    num_steps=Int(3000, min=1, doc="steps per autoencoder and size"),
    experiments=Dict(dict(linear_ae="linear_ae_mnist", deep_ae="ae_mnist",
                          conv_ae="conv_ae_mnist"),
                     doc="experiments/NAME.py of each autoencoder"),
    overrides=Dict(doc="MODEL: fields merged into that model's config"),
)
SECTIONS = {"compare": FIELDS}


def config():
  return base.with_sections("ae_vs_pca", SECTIONS)


def check(c) -> None:
  if c.data.binarize != "none":
    raise UserError("ae_vs_pca compares gray-pixel reconstructions: set "
                    "config.data.binarize='none'")
  for model in c.compare.overrides:
    if model not in MODELS:
      raise UserError(f"config.compare.overrides.{model}: unknown model; "
                      f"choose among {', '.join(MODELS)}")
