"""Config of FactorVAE (`methods/disentanglement/factor_vae.py`): the `vae`
section (the networks, likelihood and test NLL of the VAE) and section
`factor_vae` (the total-correlation weight and the discriminator on codes)."""

from unsup_jax.configs import base, vae
from unsup_jax.configs.schema import Float, Ints
from unsup_jax.errors import UserError

FIELDS = dict(
    gamma=Float(20.0, min=0.0, doc="weight of the total correlation "
                "(paper: 6.4 to 100 on dSprites)"),
    disc_hidden=Ints((1000, 1000, 1000, 1000, 1000), min=1,
                     doc="discriminator MLP (paper: 6 layers of 1,000)"),
    d_learning_rate=Float(1e-4, above=0.0, doc="Adam's, discriminator"),
    d_beta1=Float(0.5, min=0.0, below=1.0),
    d_beta2=Float(0.9, min=0.0, below=1.0),
)
SECTIONS = {"vae": vae.FIELDS, "factor_vae": FIELDS}


def config():
  return base.with_sections("factor_vae", SECTIONS)


def check(c) -> None:
  vae.check(c)
  if c.vae.objective != "elbo":
    raise UserError("FactorVAE adds its own total-correlation term: set "
                    "config.vae.objective='elbo'")


def smoke(c) -> None:
  vae.smoke(c)
  c.factor_vae.disc_hidden = tuple(min(h, 32) for h in
                                   c.factor_vae.disc_hidden[:2])
