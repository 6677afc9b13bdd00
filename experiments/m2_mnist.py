"""M2 (Kingma et al. 2014) on mnist5k with 100 labels: q(y|x), q(z|x,y) and
p(x|y,z), each one hidden layer of 500 softplus units, z of 50, trained on
100 class-balanced labelled images and the other 3,900 unlabelled ones.

  python launch.py --config=experiments/m2_mnist.py --workdir=workdirs/m2_mnist

`--config.data.streams.labelled.size=1000` changes the labels;
`--config.data.streams.unlabelled.size=500` the unlabelled images;
`--config.data.name=tfds:mnist` runs it on the full MNIST training set.
"""

from unsup_jax import configs
from unsup_jax.configs import semi_supervised


def get_config(arg=None):
  return configs.variant(semi_supervised.config("m2"), arg)
