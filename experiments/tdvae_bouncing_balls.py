"""TD-VAE (Gregor et al. 2019) on bouncing balls: three balls in a 24x24
box, reflected by the walls, 20 frames; jumps of 1 to 4 steps; beside a
deterministic LSTM predictor trained for the same number of steps. A
non-linear system: no filter is exact here.

  python launch.py --config=experiments/tdvae_bouncing_balls.py --workdir=workdirs/tdvae_bouncing_balls
"""

from unsup_jax import configs
from unsup_jax.configs import tdvae


def get_config(arg=None):
  c = tdvae.config("bernoulli")
  c.data.name = "bouncing_balls"
  c.tdvae.update(max_jump=4, observe=10, eval_from=4, warmup_steps=1000)
  c.optim.schedule = "cosine"
  c.train.num_steps = 8000
  c.baseline.num_steps = 8000
  c.train.update(eval_every=2000, checkpoint_every=2000)
  return configs.variant(c, arg)
