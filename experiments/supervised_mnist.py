"""The supervised-only baseline of the semi-supervised models on mnist5k:
M2's classifier q(y|x) (784-500-10) trained on 100 class-balanced labelled
images alone, for M2's number of steps.

  python launch.py --config=experiments/supervised_mnist.py \\
      --workdir=workdirs/supervised_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import semi_supervised


def get_config(arg=None):
  return configs.variant(semi_supervised.config("supervised"), arg)
