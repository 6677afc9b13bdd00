"""Config of the context encoder (`methods/compression/inpainting.py`): section
`inpaint`."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Choice, Float, Int, Ints

MASKS = ("centre", "squares", "pixels")
# The Wasserstein critic needs a Lipschitz constraint (a gradient penalty)
# that this context encoder's discriminator step does not apply.
ADVERSARIAL_LOSSES = ("minimax", "non_saturating", "hinge", "least_squares")

FIELDS = dict(
    encoder_channels=Ints((16, 32), min=1),
    decoder_channels=Ints((32, 16), min=1),
    bottleneck=Int(128, min=1, doc="width of the code"),
    mask=Choice("centre", MASKS),
    size=Int(12, min=1, doc="square side (centre, squares)"),
    count=Int(2, min=1, doc="squares per image (squares)"),
    fraction=Float(0.5, min=0.0, max=1.0,
                   doc="missing-pixel probability (pixels)"),
    adversarial_weight=Float(0.0, min=0.0,
                             doc="> 0 trains the discriminator too"),
    adversarial_loss=Choice("non_saturating", ADVERSARIAL_LOSSES),
    known_weight=Float(0.0, min=0.0, doc="weight of the known-pixel error"),
    disc_channels=Ints((16, 32), min=1),
    eval_seed=Int(0, min=0, doc="key of the fixed test-set masks"),
)
SECTIONS = {"inpaint": FIELDS}


def config():
  return base.with_sections("inpainting", SECTIONS)
