"""The labels-alone baseline of the semi-supervised methods on mnist5k: the
classifier of the consistency methods (784-1200-1200-10, ReLU, gray pixels;
`configs.semi_supervised.classifier_setup`) trained on 100 class-balanced
labelled images alone, for their number of steps.

  python launch.py --config=experiments/supervised_mnist.py \\
      --workdir=workdirs/supervised_mnist

`experiments/supervised_aug_mnist.py` is the same with augmented images.
"""

from unsup_jax import configs
from unsup_jax.configs import semi_supervised


def get_config(arg=None):
  c = semi_supervised.config("supervised")
  semi_supervised.classifier_setup(c)
  return configs.variant(c, arg)
