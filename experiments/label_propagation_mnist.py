"""Label spreading (Zhou et al. 2004) on mnist5k with 100 labels: the 100
class-balanced labelled images and the other 3,900 mapped to 50 principal
components, labels spread over their 10-nearest-neighbour graph; test
images take the class their 10 nearest training images carry most.

  python launch.py --config=experiments/label_propagation_mnist.py \\
      --workdir=workdirs/label_propagation_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import label_propagation


def get_config(arg=None):
  return configs.variant(label_propagation.config(), arg)
