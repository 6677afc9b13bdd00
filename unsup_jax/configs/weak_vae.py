"""Config of the weakly supervised VAEs
(`methods/disentanglement/weak_vae.py`): the `vae` section and section `weak`
(how a pair's shared posteriors are combined). The data must give pairs
(`pair_image`), e.g. `dsprites_procedural_pairs`."""

from unsup_jax.configs import base, vae
from unsup_jax.configs.schema import Choice
from unsup_jax.errors import UserError

FIELDS = dict(
    aggregation=Choice("gvae", ("gvae", "mlvae"), doc="Ada-GVAE (average) "
                       "or Ada-ML-VAE (product) of the shared units"),
)
SECTIONS = {"vae": vae.FIELDS, "weak": FIELDS}


def config():
  return base.with_sections("weak_vae", SECTIONS)


def check(c) -> None:
  vae.check(c)
  if c.vae.objective != "elbo":
    raise UserError("the weakly supervised VAE trains on the pair's ELBO: "
                    "set config.vae.objective='elbo'")


def smoke(c) -> None:
  vae.smoke(c)
