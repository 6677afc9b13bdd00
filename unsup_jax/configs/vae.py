"""Config of the VAE (`methods/vae.py`): section `vae`.

Networks, likelihood, the beta / capacity objective with its KL warm-up,
and the importance-weighted test NLL (k samples, drawn in chunks).
"""

from unsup_jax.configs import base, networks
from unsup_jax.configs.schema import Choice, Float, Int
from unsup_jax.errors import UserError

LIKELIHOODS = ("bernoulli", "gaussian")

FIELDS = dict(
    networks.fields(),
    likelihood=Choice("bernoulli", LIKELIHOODS),
    beta=Float(1.0, min=0.0, doc="KL weight (beta-VAE)"),
    kl_warmup_steps=Int(0, min=0, doc="linear KL warm-up from 0 to beta"),
    capacity_max=Float(0.0, min=0.0,
                       doc="> 0: the capacity objective gamma |KL - C|"),
    capacity_steps=Int(0, min=0, doc="steps to raise C to capacity_max"),
    gamma=Float(1000.0, min=0.0, doc="weight of |KL - C|"),
    iwae_samples=Int(1000, min=1, doc="k of the final test NLL"),
    quick_iwae_samples=Int(50, min=1, doc="k during training"),
    iwae_chunk=Int(100, min=1, doc="samples per chunk (memory)"),
    probe_labels=networks.PROBE_LABELS,
)
SECTIONS = {"vae": FIELDS}


def config():
  """The base config with the `vae` section at its defaults."""
  return base.with_sections("vae", SECTIONS)


def check(c) -> None:
  v = c.vae
  for name in ("iwae_samples", "quick_iwae_samples"):
    if v[name] % min(v.iwae_chunk, v[name]):
      raise UserError(f"config.vae.{name} must be a multiple of "
                      f"config.vae.iwae_chunk ({v.iwae_chunk})")


def smoke(c) -> None:
  c.vae.iwae_samples, c.vae.quick_iwae_samples, c.vae.iwae_chunk = 10, 4, 5
