"""N2D (McConville et al. 2020) on mnist5k: DEC's 784-500-500-2000-10
autoencoder pre-trained for 6,000 steps on shifted and warped images
(Bernoulli pixels, Adam), a UMAP of its codes into 10 dimensions (20
neighbours, minimum distance 0), then a full-covariance GMM.

  python launch.py --config=experiments/n2d_mnist.py --workdir=workdirs/n2d_mnist

`--config.data.name=tfds:mnist` runs it on the full MNIST training set.
"""

from unsup_jax import configs
from unsup_jax.configs import n2d


def get_config(arg=None):
  return configs.variant(n2d.config(), arg)
