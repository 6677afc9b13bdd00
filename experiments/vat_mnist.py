"""VAT (Miyato et al. 2018) on mnist5k with 100 labels: a 784-1200-1200-10
ReLU classifier trained on the 100 class-balanced labelled images
(cross-entropy) and the other 3,900 (the KL between its predictions at each
image and at the image moved by ε = 0.3 in the direction of steepest change,
found by one power iteration), gray pixels, 100 labelled and 250
unlabelled images per step.

  python launch.py --config=experiments/vat_mnist.py --workdir=workdirs/vat_mnist

`--config.semi.entmin_weight=1` adds the entropy term (VAT+EntMin);
`--config.semi.augment=translation,affine` augments the labelled batch as
`supervised_aug_mnist` does (one run, seed 0: 93.7%, against 89.5%
without and 88.9% for the augmented labels alone).
"""

from unsup_jax import configs
from unsup_jax.configs import semi_supervised


def get_config(arg=None):
  c = semi_supervised.config("vat")
  semi_supervised.classifier_setup(c)
  c.data.streams.unlabelled.batch_size = 250
  return configs.variant(c, arg)
