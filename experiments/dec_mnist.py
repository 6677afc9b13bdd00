"""DEC (Xie et al. 2016) on mnist5k: a 784-500-500-2000-10 autoencoder
pre-trained for 6,000 steps (Bernoulli pixels, Adam), k-means on its codes,
then 2,000 steps of KL(P || Q) with targets refreshed every 140 steps
(SGD with momentum, stopping once under 0.1% of assignments change); both
phases on randomly shifted and warped images (DEC-DA, Guo et al. 2018).

  python launch.py --config=experiments/dec_mnist.py --workdir=workdirs/dec_mnist

`--config.data.name=tfds:mnist` runs it on the full MNIST training set.
"""

from unsup_jax import configs
from unsup_jax.configs import dec


def get_config(arg=None):
  return configs.variant(dec.config("dec"), arg)
