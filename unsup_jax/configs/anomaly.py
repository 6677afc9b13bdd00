"""Config of the held-out-digit anomaly study
(`methods/compression/anomaly.py`): section `anomaly`. Its detectors are other
experiments' configs, each trained as a sub-run."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Int, Ints, Str, Strs
from unsup_jax.errors import UserError

MODELS = ("autoencoder", "vae")

FIELDS = dict(
    held_out=Ints(tuple(range(10)), min=0, doc="digits held out, one a time"),
    models=Strs(MODELS, choices=MODELS),
    ae_config=Str("experiments/ae_mnist.py"),
    vae_config=Str("experiments/vae_mnist.py"),
    model_variant=Str("", doc="'smoke': the model files' smoke variants"),
    num_steps=Int(1500, min=1, doc="training steps of each detector"),
    elbo_samples=Int(10, min=1, doc="draws of z per negative-ELBO score"),
)
SECTIONS = {"anomaly": FIELDS}


def config():
  return base.with_sections("anomaly", SECTIONS)


def check(c) -> None:
  a = c.anomaly
  if not a.held_out or len(set(a.held_out)) != len(a.held_out):
    raise UserError(f"config.anomaly.held_out must be distinct integer "
                    f"labels, at least one, got {tuple(a.held_out)!r}")
  if not a.models or len(set(a.models)) != len(a.models):
    raise UserError(f"config.anomaly.models must be distinct names among "
                    f"{', '.join(MODELS)}, got {tuple(a.models)!r}")


def smoke(c) -> None:
  c.anomaly.update(held_out=(0, 1), model_variant="smoke", num_steps=4,
                   elbo_samples=2)
