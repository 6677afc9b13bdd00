"""Context encoder (Pathak et al. 2016, arXiv:1604.07379) on mnist5k.

Fills a central 12x12 square of gray-scale digits with a small convolutional
encoder-decoder (16-32 channels, 128-unit bottleneck, sigmoid output),
trained on the squared error of the hole. Reports the test hole MSE against
filling the hole with the mean training image or zeros. Variants by flags:
`--config.inpaint.mask=squares|pixels`, and the adversarial loss of the
paper with `--config.inpaint.adversarial_weight=0.001`
(`--config.inpaint.adversarial_loss=hinge` for the hinge loss).
"""

import ml_collections

from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = base_config()
  c.method = "inpainting"
  c.data.binarize = "none"
  c.data.batch_size = 64
  c.model.kind = "conv"
  c.model.encoder_hidden = (16, 32)
  c.model.decoder_hidden = (32, 16)
  c.model.latent_dim = 128           # bottleneck width
  c.model.likelihood = "mse"         # squared error on the hole (sigmoid out)
  c.train.num_steps = 1500
  c.train.eval_every = 500
  c.train.checkpoint_every = 500
  c.inpaint = ml_collections.ConfigDict(dict(
      mask="centre",                 # centre | squares | pixels
      size=12,                       # square side (centre, squares)
      count=2,                       # squares per image (squares)
      fraction=0.5,                  # missing-pixel probability (pixels)
      adversarial_weight=0.0,        # > 0 trains the discriminator too
      adversarial_loss="non_saturating",  # non_saturating | hinge | ...
      known_weight=0.0,              # weight of the error on known pixels
      disc_channels=(16, 32),        # discriminator convolutions
      eval_seed=0))                  # key of the fixed test-set masks
  return apply_variant(c, arg)
