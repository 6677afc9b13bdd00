"""Config of GAN-prior inpainting (`methods/adversarial/gan_inpainting.py`):
section `prior_inpaint`. The GAN and the context encoder it is compared with
are sub-runs built from their experiments' configs."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Bool, Float, Int, Str
from unsup_jax.errors import UserError

FIELDS = dict(
    gan_experiment=Str("dcgan_mnist", doc="experiments/NAME.py of the GAN"),
    context_experiment=Str("inpainting_mnist",
                           doc="experiments/NAME.py of the context encoder "
                               "(its masks are used for both)"),
    model_variant=Str("", doc="'smoke': both experiments' smoke variants"),
    gan_steps=Int(0, min=0, doc="GAN training steps (0 = its experiment's)"),
    context_steps=Int(0, min=0, doc="context encoder steps (0 = its "
                      "experiment's)"),
    hole_size=Int(0, min=0, doc="side of the holes, for the context "
                  "encoder's training and both methods' test masks (0 = "
                  "its experiment's inpaint.size)"),
    steps=Int(500, min=1, doc="Adam steps on the latents of each image"),
    learning_rate=Float(0.03, above=0.0, doc="Adam's, on the latents"),
    perceptual_weight=Float(0.003, min=0.0, doc="lambda (paper: 0.003)"),
    window=Int(7, min=1, doc="contextual weighting neighbourhood (odd)"),
    restarts=Int(4, min=1, doc="latent starts per image; the lowest final "
                 "loss is kept"),
    batch_size=Int(100, min=1, doc="images fitted together"),
    use_ema=Bool(True, doc="the averaged generator, where the GAN has one"),
)
SECTIONS = {"prior_inpaint": FIELDS}


def config():
  return base.with_sections("gan_inpainting", SECTIONS)


def check(c) -> None:
  if c.prior_inpaint.window % 2 == 0:
    raise UserError(f"config.prior_inpaint.window must be odd, got "
                    f"{c.prior_inpaint.window}")
  if c.data.binarize != "none":
    raise UserError("gan_inpainting fills gray pixels: set "
                    "config.data.binarize='none'")
