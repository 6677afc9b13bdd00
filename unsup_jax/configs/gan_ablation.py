"""Config of the GAN stabiliser ablation
(`methods/adversarial/gan_ablation.py`): section `ablation`. Every variant is a
sub-run built from one GAN experiment's config (the full recipe)."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Int, Ints, Str, Strs
from unsup_jax.errors import UserError

# Each stabiliser and the `gan` fields that switch it on (their values come
# from the recipe's experiment; "off" is `configs/gan.py`'s default).
STABILISERS = {
    "ema": ("ema_decay", "ema_start"),
    "spectral_norm": ("spectral_norm",),
    "ttur": ("g_learning_rate", "d_learning_rate"),
    "adam_beta1": ("beta1", "beta2"),
    "label_smoothing": ("real_label",),
    "r1": ("r1_gamma", "r1_every"),
}

# Their settings when added alone to plain DCGAN although the recipe does
# not use them (`also_alone`), from their papers.
ON_VALUES = {
    "ema": dict(ema_decay=0.998, ema_start=500),
    "spectral_norm": dict(spectral_norm=True),
    "ttur": dict(g_learning_rate=1e-4, d_learning_rate=4e-4),
    "adam_beta1": dict(beta1=0.0, beta2=0.9),
    "label_smoothing": dict(real_label=0.9),
    "r1": dict(r1_gamma=1.0, r1_every=1),
}

FIELDS = dict(
    experiment=Str("dcgan_mnist", doc="experiments/NAME.py of the recipe"),
    model_variant=Str("", doc="'smoke': the recipe's smoke variant"),
    stabilisers=Strs(("ema",), choices=tuple(STABILISERS),
                     doc="the recipe's stabilisers that are ablated"),
    also_alone=Strs((), choices=tuple(STABILISERS),
                    doc="stabilisers the recipe lacks, added alone to plain "
                        "DCGAN with their ON_VALUES"),
    seeds=Ints((0, 1, 2), min=0, doc="one sub-run per variant and seed"),
    num_steps=Int(1000, min=1, doc="steps of every sub-run"),
    eval_every=Int(250, min=0, doc="FID curve points (0: final only)"),
)
SECTIONS = {"ablation": FIELDS}


def config():
  return base.with_sections("gan_ablation", SECTIONS)


def check(c) -> None:
  both = set(c.ablation.stabilisers) & set(c.ablation.also_alone)
  if both:
    raise UserError(f"config.ablation.also_alone repeats the recipe's "
                    f"stabilisers {sorted(both)}")
