"""VaDE (Jiang et al. 2017) on mnist5k: the 784-500-500-2000-10 network
pre-trained as an autoencoder for 6,000 steps, a diagonal GMM fitted to its
codes as the prior, then 2,000 steps of the ELBO with the mixture prior
(Adam at 0.002, times 0.9 every 160 steps); both phases on shifted and
warped images, as DEC's.

  python launch.py --config=experiments/vade_mnist.py --workdir=workdirs/vade_mnist

`--config.data.name=tfds:mnist` runs it on the full MNIST training set.
"""

from unsup_jax import configs
from unsup_jax.configs import vade


def get_config(arg=None):
  return configs.variant(vade.config(), arg)
