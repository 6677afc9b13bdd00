"""Config of the adversarial autoencoders (`methods/adversarial/aae.py`): the
`autoencoder` section (the networks and reconstruction loss, as for the
plain autoencoders) and section `aae` (the code discriminator and the
prior). Denoising is the data layer's `data.corruption`, as for the
denoising autoencoder."""

from unsup_jax.configs import autoencoder, base
from unsup_jax.configs.schema import Float, Ints
from unsup_jax.errors import UserError

FIELDS = dict(
    disc_hidden=Ints((256, 256), min=1, doc="code discriminator MLP"),
    d_learning_rate=Float(1e-3, above=0.0, doc="Adam's, discriminator"),
    g_learning_rate=Float(1e-3, above=0.0,
                          doc="Adam's, encoder against the discriminator"),
    beta1=Float(0.5, min=0.0, below=1.0, doc="Adam beta1 of both"),
)
SECTIONS = {"autoencoder": autoencoder.FIELDS, "aae": FIELDS}


def config():
  return base.with_sections("aae", SECTIONS)


def check(c) -> None:
  a = c.autoencoder
  if a.kind == "linear_tied":
    raise UserError("config.autoencoder.kind 'linear_tied' has no separate "
                    "encoder to regularise; use 'mlp' or 'conv'")
  if a.code_activation != "linear" or a.sparsity != "none":
    raise UserError("an adversarial autoencoder matches its codes to a "
                    "Gaussian prior: set config.autoencoder.code_activation="
                    "'linear' and sparsity='none'")
