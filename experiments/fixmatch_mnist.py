"""FixMatch (Sohn et al. 2020) on mnist5k with 100 labels: the
784-1200-1200-10 ReLU classifier of `vat_mnist` trained on the 100
class-balanced labelled images (randomly translated) and the other 3,900:
each image's class, where the prediction on a translated copy reaches
probability 0.95, is the target of a strongly augmented copy (translation,
a small affine map and cutout); gray pixels, 100 labelled and 300
unlabelled images per step.

  python launch.py --config=experiments/fixmatch_mnist.py \\
      --workdir=workdirs/fixmatch_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import semi_supervised


def get_config(arg=None):
  c = semi_supervised.config("fixmatch")
  semi_supervised.classifier_setup(c)
  c.semi.update(augment="translation",
                strong_augment="translation,affine,cutout")
  c.data.streams.unlabelled.batch_size = 300
  return configs.variant(c, arg)
