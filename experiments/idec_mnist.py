"""IDEC (Guo et al. 2017) on mnist5k: DEC with the reconstruction loss kept
(gamma = 0.1) and Adam in the clustering phase, from the same pre-training
on shifted and warped images.

  python launch.py --config=experiments/idec_mnist.py --workdir=workdirs/idec_mnist

`--config.data.name=tfds:mnist` runs it on the full MNIST training set.
"""

from unsup_jax import configs
from unsup_jax.configs import dec


def get_config(arg=None):
  return configs.variant(dec.config("idec"), arg)
