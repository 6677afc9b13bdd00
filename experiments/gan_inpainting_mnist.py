"""Semantic inpainting with the GAN prior of `dcgan_mnist` (Yeh et al.
2017) against the context encoder of `inpainting_mnist` (Pathak et al.
2016), on the context encoder's centre holes of the first 200 test digits.

Trains both as resumable sub-runs (`WORKDIR/runs/gan`,
`WORKDIR/runs/context_encoder`), then fits each damaged image's latent with
Adam (4 starts, 500 steps) and fills its hole from the generator.

  python launch.py --config=experiments/gan_inpainting_mnist.py \\
      --workdir=workdirs/gan_inpainting_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import gan_inpainting


def get_config(arg=None):
  c = gan_inpainting.config()
  c.data.binarize = "none"
  c.data.num_test = 200
  c.prior_inpaint.update(gan_experiment="dcgan_mnist",
                         context_experiment="inpainting_mnist",
                         steps=500, restarts=4, learning_rate=0.03,
                         perceptual_weight=0.003, window=7, hole_size=16)
  if arg == "smoke":
    c.prior_inpaint.update(model_variant="smoke", gan_steps=4, context_steps=4, steps=5,
                           restarts=2)
  return configs.variant(c, arg)
