"""TD-VAE (Gregor et al. 2019) on bouncing balls: three balls in a 24x24
box, reflected by the walls, 20 frames; jumps of 1 to 4 steps; beside a
deterministic LSTM predictor trained for the same number of steps. A
non-linear system: no filter is exact here.

  python launch.py --config=experiments/tdvae_bouncing_balls.py --workdir=workdirs/tdvae_bouncing_balls
"""

from unsup_jax import configs
from unsup_jax.configs import tdvae


def get_config(arg=None):
  c = tdvae.image_sequences("bouncing_balls", num_steps=8000)
  return configs.variant(c, arg)
