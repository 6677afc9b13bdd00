"""Context encoder (Pathak et al. 2016, arXiv:1604.07379) on mnist5k.

Fills a central 12x12 square of gray-scale digits with a small convolutional
encoder-decoder (16-32 channels, 128-unit bottleneck, sigmoid output),
trained on the squared error of the hole. Reports the test hole MSE against
filling the hole with the mean training image or zeros. Variants by flags:
`--config.inpaint.mask=squares|pixels`, and the adversarial loss of the
paper with `--config.inpaint.adversarial_weight=0.001`
(`--config.inpaint.adversarial_loss=hinge` for the hinge loss).

  python launch.py --config=experiments/inpainting_mnist.py \\
      --workdir=workdirs/inpainting_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import inpainting


def get_config(arg=None):
  c = inpainting.config()
  c.data.binarize = "none"
  c.data.batch_size = 64
  c.inpaint.update(encoder_channels=(16, 32), decoder_channels=(32, 16),
                   bottleneck=128, mask="centre", size=12)
  c.train.num_steps = 1500
  c.train.eval_every = 500
  c.train.checkpoint_every = 500
  return configs.variant(c, arg)
