"""Semantic inpainting with the GAN prior of `dcgan_mnist` (Yeh et al.
2017) against the context encoder of `inpainting_mnist` (Pathak et al.
2016), on large central holes (16x16 of the 28x28, `prior_inpaint.
hole_size`; the context encoder is trained on them) of the first 200 test
digits: the hole MSE and how often the mnist5k classifier reads the true
digit in each method's filled images.

Measured (the generator of `dcgan_mnist`'s FID-39 run, its sub-run reused;
155 s for the context encoder and the fits): hole MSE 0.196 for the GAN
prior against the context encoder's 0.093 and the mean image's 0.167;
classifier accuracy 52% against 77% (the originals: 97.5%). The prior's
fills are sharp digits that fit the visible border (known-pixel MSE
0.004) but are often another digit than the true one; the context
encoder's blurred fills keep the class more often.

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
