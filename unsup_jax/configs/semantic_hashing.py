"""Config of semantic hashing (`methods/compression/semantic_hashing.py`):
section `hashing`."""

from unsup_jax.configs import base, networks
from unsup_jax.configs.schema import Choice, Float, Int

CODE_MODES = ("noisy_sigmoid", "straight_through")

_NET = networks.fields()
FIELDS = dict(
    kind=_NET["kind"], encoder_hidden=_NET["encoder_hidden"],
    decoder_hidden=_NET["decoder_hidden"],
    bits=Int(32, min=1, doc="code length"),
    code_mode=Choice("noisy_sigmoid", CODE_MODES),
    noise_std=Float(4.0, min=0.0, doc="noise on the code logits"),
    k=Int(100, min=1, doc="precision@k"),
)
SECTIONS = {"hashing": FIELDS}


def config():
  return base.with_sections("semantic_hashing", SECTIONS)
