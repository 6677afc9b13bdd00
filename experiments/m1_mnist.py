"""M1 (Kingma et al. 2014) on mnist5k with 100 labels: a 784-600-600-50 VAE
on every training image, then the labels of the 100 class-balanced
labelled images spread over the 10-nearest-neighbour graph of every
training image's posterior mean (transductive, as the paper's TSVM; a test
image takes the class its 10 nearest codes carry most).
`--config.semi.m1_classifier=linear` fits softmax regression on the
labelled codes instead.

  python launch.py --config=experiments/m1_mnist.py --workdir=workdirs/m1_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import semi_supervised


def get_config(arg=None):
  return configs.variant(semi_supervised.config("m1"), arg)
