"""Config of the autoencoders (`methods/compression/autoencoder.py`): section
`autoencoder`. Plain, sparse (`sparsity`), tied linear (`kind`), conv; the
denoising variant is a data transform (`data.corruption`)."""

from unsup_jax.configs import base, networks
from unsup_jax.configs.schema import Choice, Float
from unsup_jax.errors import UserError

KINDS = ("mlp", "conv", "linear_tied")
LIKELIHOODS = ("bce", "mse")
CODE_ACTIVATIONS = ("linear", "sigmoid", "relu")
SPARSITY = ("none", "l1", "l2", "kl")

FIELDS = dict(
    networks.fields(kinds=KINDS),
    likelihood=Choice("bce", LIKELIHOODS,
                      doc="bce: pixels as Bernoulli logits; mse: squared error"),
    code_activation=Choice("linear", CODE_ACTIVATIONS),
    sparsity=Choice("none", SPARSITY, doc="penalty on the code"),
    sparsity_weight=Float(0.0, min=0.0),
    sparsity_target=Float(0.05, above=0.0, below=1.0,
                          doc="rho of the KL sparsity penalty"),
    probe_labels=networks.PROBE_LABELS,
)
SECTIONS = {"autoencoder": FIELDS}


def config():
  """The base config with the `autoencoder` section at its defaults."""
  return base.with_sections("autoencoder", SECTIONS)


def check(c) -> None:
  a = c.autoencoder
  if a.sparsity == "kl" and a.code_activation != "sigmoid":
    raise UserError("config.autoencoder.sparsity='kl' needs codes in (0, 1): "
                    "set config.autoencoder.code_activation='sigmoid'")
