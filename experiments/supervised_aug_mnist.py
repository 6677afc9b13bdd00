"""The labels alone with augmentation: `supervised_mnist`'s classifier on
the 100 labelled images, each step through random translations and small
affine maps (the augmentations FixMatch uses), so that a semi-supervised
method's gain over it is not the augmentation's.

  python launch.py --config=experiments/supervised_aug_mnist.py \\
      --workdir=workdirs/supervised_aug_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import semi_supervised


def get_config(arg=None):
  c = semi_supervised.config("supervised")
  semi_supervised.classifier_setup(c)
  c.semi.augment = "translation,affine"
  return configs.variant(c, arg)
