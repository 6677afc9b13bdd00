"""Property tests for unsup_jax.eval.likelihood on an analytic model.

The model is linear-Gaussian: z ~ N(0, I_D) and x | z ~ N(z, s^2 I_D), so
p(x) = N(x; 0, (1 + s^2) I_D) and the posterior is
p(z | x) = N(x / (1 + s^2), s^2 / (1 + s^2) I_D), all in closed form.
"""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from unsup_jax.eval import likelihood

_DIM = 3
_NOISE_STD = 0.5
_BATCH = 512
# Monte Carlo checks pass within this many standard errors.
_NUM_SE = 5.0

_iwae = jax.jit(likelihood.iwae_log_likelihood,
                static_argnames=("log_likelihood_fn", "num_samples", "chunk"))


def _log_likelihood(x, z):
  """log N(x; z, s^2 I) per example, written out independently."""
  var = _NOISE_STD ** 2
  return -0.5 * jnp.sum(jnp.square(x - z) / var + jnp.log(2 * jnp.pi * var),
                        axis=-1)


def _data(seed):
  """x ~ p(x) and the exact log p(x) in float64."""
  std = math.sqrt(1.0 + _NOISE_STD ** 2)
  x = std * np.asarray(jax.random.normal(jax.random.key(seed),
                                         (_BATCH, _DIM)))
  log_px = stats.norm.logpdf(x.astype(np.float64), 0.0, std).sum(-1)
  return x.astype(np.float32), log_px


def _posterior(x):
  """Exact posterior (mean, logvar) as float32."""
  shrink = 1.0 / (1.0 + _NOISE_STD ** 2)
  mean = x * shrink
  logvar = np.full_like(x, math.log(_NOISE_STD ** 2 * shrink))
  return mean.astype(np.float32), logvar.astype(np.float32)


def _imperfect_posterior(x):
  """The posterior with its mean shifted by 0.5 and its variance doubled."""
  mean, logvar = _posterior(x)
  return mean + np.float32(0.5), logvar + np.float32(math.log(2.0))


def _estimate(seed, x, mean, logvar, num_samples, chunk):
  return np.asarray(_iwae(jax.random.key(seed), x, mean, logvar,
                          log_likelihood_fn=_log_likelihood,
                          num_samples=num_samples, chunk=chunk), np.float64)


def _mean_and_se(values):
  return values.mean(), values.std(ddof=1) / math.sqrt(len(values))


@pytest.mark.parametrize("num_samples,chunk",
                         [(1, 1), (10, 5), (100, 10), (100, 100)])
def test_exact_posterior_gives_log_px(num_samples, chunk):
  # With q = p(z|x) every weight p(x, z) / q(z|x) equals p(x).
  x, log_px = _data(0)
  mean, logvar = _posterior(x)
  estimate = _estimate(1, x, mean, logvar, num_samples, chunk)
  chex.assert_shape(estimate, (_BATCH,))
  np.testing.assert_allclose(estimate, log_px, rtol=1e-5, atol=1e-4)


def test_one_sample_is_unbiased_for_the_elbo():
  # E[L_1] = log p(x) - KL(q || p(z|x)); the KL is the same for every x.
  x, log_px = _data(2)
  mean, logvar = _imperfect_posterior(x)
  post_mean, post_logvar = _posterior(x)
  var_ratio = np.exp(logvar[0, 0] - post_logvar[0, 0])
  shift = (mean - post_mean)[0, 0]
  kl = 0.5 * _DIM * (var_ratio - 1.0 - np.log(var_ratio)
                     + shift ** 2 / np.exp(post_logvar[0, 0]))
  gap, se = _mean_and_se(_estimate(3, x, mean, logvar, 1, 1) - log_px)
  assert abs(gap + kl) < _NUM_SE * se, (gap, -kl, se)


def test_single_sample_is_drawn_from_q():
  # With log p(x|z) := z_0 - log p(z) + log q(z|x) every log-weight is z_0,
  # so L_1 returns the first coordinate of the sample itself: it must be
  # N(mean_0, exp(logvar_0)).
  batch = 8192
  key_mean, key_logvar = jax.random.split(jax.random.key(20))
  mean = np.asarray(jax.random.normal(key_mean, (batch, _DIM)))
  logvar = np.asarray(jax.random.uniform(key_logvar, (batch, _DIM),
                                         minval=-2.0, maxval=1.0))

  def log_likelihood_fn(x, z):
    del x
    log_q = jax.scipy.stats.norm.logpdf(z, mean, jnp.exp(0.5 * logvar))
    log_p = jax.scipy.stats.norm.logpdf(z)
    return z[:, 0] + jnp.sum(log_q - log_p, axis=-1)

  sample = likelihood.iwae_log_likelihood(
      jax.random.key(21), mean, mean, logvar, log_likelihood_fn,
      num_samples=1, chunk=1)
  std = np.exp(0.5 * logvar[:, 0].astype(np.float64))
  standardized = (np.asarray(sample, np.float64) - mean[:, 0]) / std
  assert abs(standardized.mean()) < _NUM_SE / math.sqrt(batch)
  assert abs(standardized.var() - 1.0) < _NUM_SE * math.sqrt(2.0 / batch)
  assert stats.kstest(standardized, "norm").pvalue > 1e-4


def test_bound_tightens_with_k_and_stays_below_log_px():
  x, log_px = _data(4)
  mean, logvar = _imperfect_posterior(x)
  gaps, ses = [], []
  for seed, k in ((5, 1), (6, 10), (7, 100)):
    gap, se = _mean_and_se(_estimate(seed, x, mean, logvar, k, 10) - log_px)
    gaps.append(gap)
    ses.append(se)
    # L_k <= log p(x) in expectation.
    assert gap < _NUM_SE * se, (k, gap, se)
  # L_1 < L_10 < L_100, each step by more than the noise.
  for i in range(2):
    assert gaps[i + 1] - gaps[i] > _NUM_SE * math.hypot(ses[i], ses[i + 1]), (
        gaps, ses)


def test_chunking_agrees_statistically():
  x, log_px = _data(8)
  mean, logvar = _imperfect_posterior(x)
  small = _estimate(9, x, mean, logvar, 100, 10) - log_px
  whole = _estimate(9, x, mean, logvar, 100, 100) - log_px
  (m_small, se_small), (m_whole, se_whole) = map(_mean_and_se,
                                                 (small, whole))
  assert abs(m_small - m_whole) < _NUM_SE * math.hypot(se_small, se_whole)


def test_chunk_larger_than_num_samples_is_clipped():
  x, log_px = _data(10)
  mean, logvar = _posterior(x)
  estimate = _estimate(11, x, mean, logvar, 1, 64)
  np.testing.assert_allclose(estimate, log_px, rtol=1e-5, atol=1e-4)


def test_eager_and_jit_agree():
  x, _ = _data(12)
  mean, logvar = _imperfect_posterior(x)
  eager = likelihood.iwae_log_likelihood(
      jax.random.key(13), x, mean, logvar, _log_likelihood, num_samples=10,
      chunk=5)
  jitted = _estimate(13, x, mean, logvar, 10, 5)
  np.testing.assert_allclose(eager, jitted, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("num_samples,chunk", [(100, 30), (10, 4), (7, 2)])
def test_num_samples_not_a_multiple_of_chunk_raises(num_samples, chunk):
  x, _ = _data(14)
  mean, logvar = _posterior(x)
  with pytest.raises(ValueError, match="multiple"):
    likelihood.iwae_log_likelihood(jax.random.key(15), x, mean, logvar,
                                   _log_likelihood, num_samples=num_samples,
                                   chunk=chunk)


class TestActiveUnits:

  def test_counts_columns_above_threshold(self):
    # A column +-c has population variance exactly c^2.
    signs = np.where(np.arange(100) % 2 == 0, 1.0, -1.0)[:, None]
    scales = np.array([0.0, 0.05, 0.09, 0.11, 0.5, 3.0])   # var 0.01 at 0.1
    offsets = np.array([5.0, -2.0, 0.0, 1.0, 10.0, -7.0])
    means = (signs * scales + offsets).astype(np.float32)
    count = likelihood.active_units(means)
    assert count.shape == () and jnp.issubdtype(count.dtype, jnp.integer)
    assert int(count) == 3
    assert int(likelihood.active_units(means, threshold=0.2)) == 2
    # The comparison is strict: a variance equal to the threshold (0.5^2,
    # exact in float32) is not active.
    at_threshold = (signs * 0.5 + 1.0).astype(np.float32)
    assert int(likelihood.active_units(at_threshold, threshold=0.25)) == 0
    assert int(likelihood.active_units(at_threshold, threshold=0.2499)) == 1
    assert int(likelihood.active_units(means, threshold=10.0)) == 0
    assert int(likelihood.active_units(means, threshold=-1.0)) == 6

  @pytest.mark.parametrize("threshold", [0.01, 0.1, 1.0])
  def test_matches_numpy_on_random_means(self, threshold):
    keys = jax.random.split(jax.random.key(16))
    scales = np.exp(np.asarray(
        jax.random.uniform(keys[0], (32,), minval=-4.0, maxval=2.0)))
    means = scales * np.asarray(jax.random.normal(keys[1], (200, 32)))
    expected = int(np.sum(np.var(means.astype(np.float64), axis=0)
                          > threshold))
    assert 0 < expected < 32
    assert int(likelihood.active_units(means, threshold=threshold)) == (
        expected)


def test_mutual_information_is_zero_without_and_log_n_with_distinct_codes():
  n, d = 256, 3
  key = jax.random.key(0)
  same = jnp.zeros((n, d))
  mi_none = float(likelihood.mutual_information(key, same, same))
  # Monte Carlo error only: log q(z|x) has standard deviation sqrt(d / 2).
  mc = 4 * math.sqrt(d / 2 / n)
  assert abs(mi_none) < mc
  means = jax.random.normal(jax.random.key(1), (n, d)) * 50.0
  tight = jnp.full((n, d), -10.0)                   # std 0.0067
  mi_all = float(likelihood.mutual_information(key, means, tight))
  assert mi_all == pytest.approx(math.log(n), abs=mc)
  # In between it is inside (0, log N) and grows with the spread of means.
  mis = [float(likelihood.mutual_information(key, means * s / 50.0,
                                             jnp.zeros((n, d))))
         for s in (0.3, 1.0, 3.0)]
  assert 0 < mis[0] < mis[1] < mis[2] < math.log(n)
