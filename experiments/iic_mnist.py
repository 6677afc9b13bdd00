"""IIC (Ji et al. 2019) on mnist5k: a 784-1200-1200 ReLU trunk with 5 main
heads of 10 clusters and 5 over-clustering heads of 50, trained for 3,000
steps on pairs (image, randomly shifted and warped image), each image drawn
4 times per batch.

  python launch.py --config=experiments/iic_mnist.py --workdir=workdirs/iic_mnist

`--config.data.name=tfds:mnist` runs it on the full MNIST training set.
"""

from unsup_jax import configs
from unsup_jax.configs import iic


def get_config(arg=None):
  return configs.variant(iic.config(), arg)
