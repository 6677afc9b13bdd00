"""TD-VAE (Gregor et al. 2019) on a noisy harmonic oscillator, a
linear-Gaussian state space model (`data/sequences.py`): 40 noisy
observations of the position, jumps of 1 to 10 steps. The Kalman filter's
exact predictive distribution is the limit any model can reach; the report
puts TD-VAE's prediction error and predictive log-likelihood at every jump
beside it, beside a deterministic LSTM predictor trained for the same
number of steps and beside copying the last observation.

  python launch.py --config=experiments/tdvae_oscillator.py --workdir=workdirs/tdvae_oscillator
"""

from unsup_jax import configs
from unsup_jax.configs import tdvae


def get_config(arg=None):
  c = tdvae.config("gaussian")
  c.data.name = "oscillator"
  c.tdvae.update(embed_hidden=(64, 64), belief_size=64, latent_dim=4,
                 decoder_hidden=(64,), max_jump=10, observe=20, eval_from=4,
                 pairs=16, warmup_steps=2000, eval_samples=128)
  c.optim.schedule = "cosine"
  c.train.num_steps = 30000
  c.baseline.num_steps = 30000
  c.train.update(eval_every=5000, checkpoint_every=5000)
  return configs.variant(c, arg)
