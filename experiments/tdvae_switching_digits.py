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

Measured (2 CPU cores, 919 s; 6,000 steps of each model; paper sizes:
two latent layers of 8 units), per jump d = 1..4:

  predictive log-likelihood (nats/frame): TD-VAE -126.5 -136.9 -151.3
    -165.9; LSTM -133.4 -152.7 -175.0 -194.6
  best-of-16 error: TD-VAE 0.032 0.036 0.041 0.046; LSTM (its own error)
    0.036 0.045 0.054 0.062
  error of the mean: TD-VAE 0.040 0.053 0.063 0.070; LSTM 0.036 0.045
    0.054 0.062
  spread of sampled positions (px): TD-VAE 1.02 1.54 2.03 2.53; the
    generator's 0.80 1.51 2.18 2.79

TD-VAE is ahead in likelihood and best-of-K at every jump and samples the
possible positions with about the true spread; the LSTM's mean is the
better point estimate (squared error rewards the average). The classifier
reads the digit in 57% of TD-VAE's sampled rollout frames and in 82% of
the LSTM's predictions (true frames: 97%): the state loses the digit's
shape, not its position: decoding the belief's own state without a jump
already costs 0.028 of the 0.040 one step ahead.

  python launch.py --config=experiments/tdvae_switching_digits.py \\
      --workdir=workdirs/tdvae_switching_digits
"""

from unsup_jax import configs
from unsup_jax.configs import tdvae


def get_config(arg=None):
  c = tdvae.image_sequences("switching_digits", num_steps=6000)
  c.data.switch_prob = 0.2
  return configs.variant(c, arg)
