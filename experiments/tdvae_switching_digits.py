"""TD-VAE (Gregor et al. 2019) where the future is uncertain: switching
digits (`data/sequences.py`), mnist5k digits moving by a pixel per step
that reverse their direction with probability 0.2 before every move, 20
frames of 28x28, jumps of 1 to 4 steps; beside a deterministic LSTM
predictor trained for the same number of steps.

Four steps ahead the digit can be at five positions: 4 pixels on (41%),
2 on (18%), back where it is (17%), 2 back (14%), 4 back (10%). A
deterministic predictor can only average them, which blurs the digit; a
generative model can sample them. The report scores, per jump, the error
of the predictive mean, the best of K = `tdvae.eval_samples` samples, the
predictive log-likelihood, and the spread of the sampled positions beside
the generator's exact spread; and how often the classifier still reads
the digit in sampled rollouts and in the LSTM's predictions.

  python launch.py --config=experiments/tdvae_switching_digits.py \\
      --workdir=workdirs/tdvae_switching_digits
"""

from unsup_jax import configs
from unsup_jax.configs import tdvae


def get_config(arg=None):
  c = tdvae.config("bernoulli")
  c.data.name = "switching_digits"
  c.data.switch_prob = 0.2
  c.tdvae.update(max_jump=4, observe=10, eval_from=4, warmup_steps=1000)
  c.optim.schedule = "cosine"
  c.train.num_steps = 6000
  c.baseline.num_steps = 6000
  c.train.update(eval_every=2000, checkpoint_every=2000)
  return configs.variant(c, arg)
