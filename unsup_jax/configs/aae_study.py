"""Config of the denoising adversarial autoencoder study
(`methods/adversarial/aae_study.py`): section `aae_study`. The three models
compared are sub-runs built from their experiments' configs."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Int, Str
from unsup_jax.errors import UserError

FIELDS = dict(
    aae_experiment=Str("denoising_aae_mnist",
                       doc="experiments/NAME.py of the adversarial AE"),
    dae_experiment=Str("denoising_ae_mnist",
                       doc="experiments/NAME.py of the plain denoising AE "
                           "(same networks and noise)"),
    vae_experiment=Str("vae_mnist", doc="experiments/NAME.py of the VAE whose "
                       "prior samples the AAE's are compared with"),
    model_variant=Str("", doc="'smoke': the three experiments' smoke "
                      "variants"),
    num_steps=Int(0, min=0, doc="training steps of every sub-run (0 = each "
                  "experiment's own)"),
    num_samples=Int(1000, min=2, doc="prior samples per model for FID/KID"),
    fid_classifier=Str("", doc="cache of the FID feature network; '' = "
                       "workdir"),
)
SECTIONS = {"aae_study": FIELDS}


def config():
  return base.with_sections("aae_study", SECTIONS)


def check(c) -> None:
  if c.data.binarize != "none":
    raise UserError("aae_study compares samples with gray test images: set "
                    "config.data.binarize='none'")
