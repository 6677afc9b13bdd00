"""Config of IIC (`methods/clustering/iic.py`): section `iic`.

Defaults follow Ji et al. (2019) on MNIST where they fit 2 cores: Adam at
1e-4, 5 main heads of 10 clusters and 5 over-clustering heads of 50, each
image of a batch repeated `repeats` times, its second view randomly
shifted and affinely warped (the keyed augmentations of `ops/augment.py`,
shared with the semi-supervised family).
"""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Choice, Float, Int, Ints
from unsup_jax.errors import UserError

TRUNKS = ("mlp", "conv")  # models/clustering.IICNet's

IIC = dict(
    trunk=Choice("conv", TRUNKS, doc="mlp: dense layers on the pixels; conv: "
                 "stride-2 convolutions first"),
    hidden=Ints((256,), min=1, doc="the trunk's dense layers"),
    channels=Ints((32, 64), min=1, doc="conv trunk's convolutions"),
    num_clusters=Int(10, min=2),
    overclusters=Int(50, min=2, doc="outputs of each over-clustering head"),
    num_heads=Int(5, min=1, doc="sub-heads of each kind"),
    augment=base.Augment("the second view's augmentation"),
    first_augment=base.Augment("the first view's (\"\": the image itself)"),
    repeats=Int(2, min=1, doc="views drawn per image in a batch"),
    eps=Float(1e-8, min=0.0, doc="floor of the joint's entries"),
    shown_per_cluster=Int(10, min=1,
                          doc="most confident training images shown"),
)
SECTIONS = {"iic": IIC}


def config():
  """IIC on MNIST-sized digits."""
  c = base.with_sections("iic", SECTIONS)
  c.iic.augment = "affine"
  c.data.batch_size = 128
  c.optim.update(learning_rate=1e-3)
  c.train.update(num_steps=4000, eval_every=0, checkpoint_every=1000)
  return c


def check(c) -> None:
  if not c.iic.augment and not c.iic.first_augment:
    raise UserError("config.iic.augment is empty: IIC needs two different "
                    "views of each image (e.g. 'translation,affine')")
  if c.iic.overclusters < c.iic.num_clusters:
    raise UserError(f"config.iic.overclusters ({c.iic.overclusters}) must be "
                    f"at least config.iic.num_clusters "
                    f"({c.iic.num_clusters})")


def smoke(c) -> None:
  """A narrow network, two heads."""
  c.iic.update(hidden=(32,), channels=(4,), num_heads=2, overclusters=12,
               repeats=2, shown_per_cluster=2)
