"""Property tests for unsup_jax.ops.distributions.

Every closed form is checked against an independent computation: scipy.stats
log-densities in float64, Monte Carlo estimates with a tolerance taken from
their standard error, or numerical quadrature.
"""

import functools
import math

from absl.testing import absltest
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate
from scipy import stats

from unsup_jax.ops import distributions

# Monte Carlo checks pass when |estimate - truth| <= _NUM_SE standard errors.
_NUM_SE = 5.0
_MC_SAMPLES = 200_000
_POOL = 1 << 14


def _normal(key, shape):
  """float32 N(0, 1) draws of `shape` as a numpy array.

  Every call draws the same number of values, so the draw compiles once and
  the tests stay fast; `shape` may hold at most `_POOL` values.
  """
  size = math.prod(shape)
  assert size <= _POOL, shape
  return np.asarray(jax.random.normal(key, (_POOL,)))[:size].reshape(shape)


def _uniform(key, shape, low=0.0, high=1.0):
  """float32 U(low, high) draws of `shape` as a numpy array (see `_normal`)."""
  size = math.prod(shape)
  assert size <= _POOL, shape
  pool = np.asarray(jax.random.uniform(key, (_POOL,)))[:size].reshape(shape)
  return (low + (high - low) * pool).astype(np.float32)


def _random_gaussian(seed, shape, mean_scale=2.0, logvar_range=4.0):
  """Random float32 (mean, logvar) of `shape` from `jax.random.key(seed)`."""
  key = jax.random.key(seed)
  mean = mean_scale * _normal(jax.random.fold_in(key, 0), shape)
  logvar = _uniform(jax.random.fold_in(key, 1), shape, -logvar_range,
                    logvar_range)
  return mean, logvar


def _norm_logpdf(x, mean, logvar):
  """float64 log N(x; mean, exp(logvar)) elementwise, via scipy."""
  mean = np.asarray(mean, np.float64)
  std = np.exp(0.5 * np.asarray(logvar, np.float64))
  return stats.norm.logpdf(np.asarray(x, np.float64), mean, std)


@functools.lru_cache(maxsize=None)
def _mc_kl(mc_seed, q_seed, p_seed=None):
  """Monte Carlo E_q[log q(z) - log p(z)] per row and its standard error.

  q and p are `_random_gaussian(seed, (6, 3), 1.0, 1.0)`, p is N(0, I) when
  `p_seed` is None. Cached, so the jit and non-jit variants share one
  estimate.

  Returns:
    (q, p, estimate, std_err) with q, p (mean, logvar) pairs.
  """
  q = _random_gaussian(q_seed, (6, 3), mean_scale=1.0, logvar_range=1.0)
  if p_seed is None:
    p = (np.zeros((6, 3), np.float32),) * 2
  else:
    p = _random_gaussian(p_seed, (6, 3), mean_scale=1.0, logvar_range=1.0)
  mean_q = q[0].astype(np.float64)
  std_q = np.exp(0.5 * q[1].astype(np.float64))
  eps = np.asarray(jax.random.normal(jax.random.key(mc_seed),
                                     (_MC_SAMPLES, 6, 3)), np.float64)
  z = mean_q + std_q * eps                                    # [N, B, D]
  log_ratio = (_norm_logpdf(z, *q) - _norm_logpdf(z, *p)).sum(-1)  # [N, B]
  estimate = log_ratio.mean(0)
  std_err = log_ratio.std(0, ddof=1) / np.sqrt(_MC_SAMPLES)
  return q, p, estimate, std_err


def _quad_kl_1d(mean_q, logvar_q, mean_p, logvar_p):
  """KL between two 1-D Gaussians by numerical integration of q log(q/p)."""
  q = stats.norm(mean_q, np.exp(0.5 * logvar_q))
  p = stats.norm(mean_p, np.exp(0.5 * logvar_p))
  lo, hi = q.ppf(1e-12), q.ppf(1.0 - 1e-12)
  value, _ = integrate.quad(lambda z: q.pdf(z) * (q.logpdf(z) - p.logpdf(z)),
                            lo, hi, limit=200)
  return value


class KlStandardNormalTest(chex.TestCase):

  @chex.variants(with_jit=True, without_jit=True)
  def test_non_negative_on_random_inputs(self):
    mean, logvar = _random_gaussian(0, (2000, 8), logvar_range=6.0)
    kl = self.variant(distributions.kl_standard_normal)(mean, logvar)
    chex.assert_shape(kl, (2000,))
    chex.assert_tree_all_finite(kl)
    self.assertGreaterEqual(float(np.min(kl)), -1e-5)

  @chex.variants(with_jit=True, without_jit=True)
  def test_zero_at_standard_normal(self):
    zeros = np.zeros((8, 4), np.float32)
    kl = self.variant(distributions.kl_standard_normal)(zeros, zeros)
    np.testing.assert_array_equal(np.asarray(kl), np.zeros(8))

  @chex.variants(with_jit=True, without_jit=True)
  def test_positive_away_from_standard_normal(self):
    zeros = np.zeros((8, 4), np.float32)
    bumped = zeros.copy()
    bumped[:, 1] = 0.1
    kl_fn = self.variant(distributions.kl_standard_normal)
    # 0.1^2 / 2 from the mean, (e^0.1 - 1 - 0.1) / 2 from the log-variance.
    np.testing.assert_allclose(kl_fn(bumped, zeros), [0.005] * 8, rtol=1e-4)
    np.testing.assert_allclose(kl_fn(zeros, bumped),
                               [(np.expm1(0.1) - 0.1) / 2] * 8, rtol=1e-3)

  @chex.variants(with_jit=True, without_jit=True)
  def test_matches_monte_carlo(self):
    q, _, estimate, std_err = _mc_kl(2, 1)
    kl = np.asarray(self.variant(distributions.kl_standard_normal)(*q))
    np.testing.assert_array_less(np.abs(kl - estimate),
                                 _NUM_SE * std_err + 1e-6)

  @chex.variants(with_jit=True, without_jit=True)
  def test_matches_quadrature(self):
    mean, logvar = _random_gaussian(3, (4, 1), mean_scale=1.5,
                                    logvar_range=3.0)
    kl = np.asarray(self.variant(distributions.kl_standard_normal)(mean,
                                                                   logvar))
    expected = [_quad_kl_1d(float(m), float(lv), 0.0, 0.0)
                for m, lv in zip(mean[:, 0], logvar[:, 0])]
    np.testing.assert_allclose(kl, expected, rtol=1e-4, atol=1e-5)

  @chex.variants(with_jit=True, without_jit=True)
  def test_equals_kl_diag_with_standard_prior(self):
    mean, logvar = _random_gaussian(4, (8, 4))
    kl = self.variant(distributions.kl_standard_normal)(mean, logvar)
    zeros = np.zeros_like(mean)
    np.testing.assert_allclose(
        kl, distributions.kl_diag_gaussians(mean, logvar, zeros, zeros),
        rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        kl, distributions.kl_diag_gaussians(mean, logvar, 0.0, 0.0),
        rtol=1e-5, atol=1e-5)


class KlDiagGaussiansTest(chex.TestCase):

  @chex.variants(with_jit=True, without_jit=True)
  def test_non_negative_on_random_inputs(self):
    mean_q, logvar_q = _random_gaussian(10, (2000, 8))
    mean_p, logvar_p = _random_gaussian(11, (2000, 8))
    kl = self.variant(distributions.kl_diag_gaussians)(mean_q, logvar_q,
                                                       mean_p, logvar_p)
    chex.assert_shape(kl, (2000,))
    chex.assert_tree_all_finite(kl)
    self.assertGreaterEqual(float(np.min(kl)), -1e-5)

  @chex.variants(with_jit=True, without_jit=True)
  def test_zero_iff_distributions_equal(self):
    mean, logvar = _random_gaussian(12, (8, 4))
    kl_fn = self.variant(distributions.kl_diag_gaussians)
    np.testing.assert_allclose(kl_fn(mean, logvar, mean, logvar),
                               np.zeros(8), atol=1e-6)
    # Moving one coordinate of q's mean or log-variance makes every KL
    # positive.
    for d in range(4):
      shifted_mean, shifted_logvar = mean.copy(), logvar.copy()
      shifted_mean[:, d] += 0.1
      shifted_logvar[:, d] += 0.1
      self.assertTrue(
          np.all(kl_fn(shifted_mean, logvar, mean, logvar) > 0.0))
      self.assertTrue(
          np.all(kl_fn(mean, shifted_logvar, mean, logvar) > 0.0))

  @chex.variants(with_jit=True, without_jit=True)
  def test_matches_monte_carlo(self):
    q, p, estimate, std_err = _mc_kl(15, 13, 14)
    kl = np.asarray(self.variant(distributions.kl_diag_gaussians)(*q, *p))
    np.testing.assert_array_less(np.abs(kl - estimate),
                                 _NUM_SE * std_err + 1e-6)

  @chex.variants(with_jit=True, without_jit=True)
  def test_matches_quadrature(self):
    q = _random_gaussian(16, (4, 1), mean_scale=1.5, logvar_range=2.0)
    p = _random_gaussian(17, (4, 1), mean_scale=1.5, logvar_range=2.0)
    kl = np.asarray(self.variant(distributions.kl_diag_gaussians)(*q, *p))
    expected = [_quad_kl_1d(*(float(a[i, 0]) for a in q + p))
                for i in range(4)]
    np.testing.assert_allclose(kl, expected, rtol=1e-4, atol=1e-5)

  @chex.variants(with_jit=True, without_jit=True)
  def test_not_symmetric(self):
    kl_fn = self.variant(distributions.kl_diag_gaussians)
    zero = np.zeros((1, 1), np.float32)
    log4 = np.full((1, 1), np.log(4.0), np.float32)
    # KL(N(0,1) || N(0,4)) = (log 4 + 1/4 - 1) / 2,
    # KL(N(0,4) || N(0,1)) = (-log 4 + 4 - 1) / 2.
    forward = kl_fn(zero, zero, zero, log4)
    backward = kl_fn(zero, log4, zero, zero)
    np.testing.assert_allclose(forward, [(np.log(4.0) - 0.75) / 2], rtol=1e-5)
    np.testing.assert_allclose(backward, [(3.0 - np.log(4.0)) / 2], rtol=1e-5)
    # And on random pairs the two directions differ.
    q = _random_gaussian(18, (8, 4))
    p = _random_gaussian(19, (8, 4))
    diff = np.asarray(kl_fn(*q, *p)) - np.asarray(kl_fn(*p, *q))
    self.assertGreater(float(np.max(np.abs(diff))), 1.0)

  @chex.variants(with_jit=True, without_jit=True)
  def test_broadcasts_prior_parameters(self):
    mean_q, logvar_q = _random_gaussian(20, (8, 4))
    mean_p, logvar_p = _random_gaussian(21, (1, 4))
    kl = self.variant(distributions.kl_diag_gaussians)(mean_q, logvar_q,
                                                       mean_p, logvar_p)
    full = distributions.kl_diag_gaussians(
        mean_q, logvar_q, np.broadcast_to(mean_p, (8, 4)),
        np.broadcast_to(logvar_p, (8, 4)))
    np.testing.assert_allclose(kl, full, rtol=1e-6)


class LogProbTest(chex.TestCase):

  @chex.variants(with_jit=True, without_jit=True)
  def test_gaussian_log_prob_matches_scipy(self):
    mean, logvar = _random_gaussian(30, (8, 4))
    x = 3.0 * _normal(jax.random.key(31), (8, 4))
    lp = self.variant(distributions.gaussian_log_prob)(x, mean, logvar)
    chex.assert_shape(lp, (8,))
    np.testing.assert_allclose(lp, _norm_logpdf(x, mean, logvar).sum(-1),
                               rtol=1e-5, atol=1e-4)

  @chex.variants(with_jit=True, without_jit=True)
  def test_gaussian_log_prob_broadcasts_parameters(self):
    mean, logvar = _random_gaussian(32, (4,))
    x = _normal(jax.random.key(33), (8, 4))
    lp = self.variant(distributions.gaussian_log_prob)(x, mean, logvar)
    chex.assert_shape(lp, (8,))
    np.testing.assert_allclose(lp, _norm_logpdf(x, mean, logvar).sum(-1),
                               rtol=1e-5, atol=1e-4)

  @chex.variants(with_jit=True, without_jit=True)
  def test_gaussian_log_prob_sums_all_event_axes(self):
    mean, logvar = _random_gaussian(34, (3, 4, 4, 2))
    x = _normal(jax.random.key(35), (3, 4, 4, 2))
    lp = self.variant(distributions.gaussian_log_prob)(x, mean, logvar)
    chex.assert_shape(lp, (3,))
    expected = _norm_logpdf(x, mean, logvar).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(lp, expected, rtol=1e-5, atol=1e-4)

  @chex.variants(with_jit=True, without_jit=True)
  def test_gaussian_log_prob_batch_ndim_2(self):
    mean, logvar = _random_gaussian(36, (6, 3, 4))
    x = _normal(jax.random.key(37), (6, 3, 4))
    fn = functools.partial(distributions.gaussian_log_prob, batch_ndim=2)
    lp = self.variant(fn)(x, mean, logvar)
    chex.assert_shape(lp, (6, 3))
    np.testing.assert_allclose(lp, _norm_logpdf(x, mean, logvar).sum(-1),
                               rtol=1e-5, atol=1e-4)

  @chex.variants(with_jit=True, without_jit=True)
  def test_standard_normal_log_prob_matches_scipy(self):
    x = 2.0 * _normal(jax.random.key(38), (3, 4, 4, 2))
    lp = self.variant(distributions.standard_normal_log_prob)(x)
    chex.assert_shape(lp, (3,))
    expected = stats.norm.logpdf(x.astype(np.float64)).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(lp, expected, rtol=1e-5, atol=1e-4)

  @chex.variants(with_jit=True, without_jit=True)
  def test_standard_normal_log_prob_batch_ndim_2(self):
    x = _normal(jax.random.key(39), (6, 3, 4))
    fn = functools.partial(distributions.standard_normal_log_prob,
                           batch_ndim=2)
    lp = self.variant(fn)(x)
    chex.assert_shape(lp, (6, 3))
    expected = stats.norm.logpdf(x.astype(np.float64)).sum(-1)
    np.testing.assert_allclose(lp, expected, rtol=1e-5, atol=1e-4)
    # Agrees with the general Gaussian density at mean 0, logvar 0.
    np.testing.assert_allclose(
        lp, distributions.gaussian_log_prob(x, 0.0, 0.0, batch_ndim=2),
        rtol=1e-6, atol=1e-5)

  @chex.variants(with_jit=True, without_jit=True)
  def test_bernoulli_log_prob_matches_naive_formula(self):
    logits = _uniform(jax.random.key(40), (8, 4), -8.0, 8.0)
    binary = (_uniform(jax.random.key(41), (8, 4)) < 0.5).astype(np.float32)
    gray = _uniform(jax.random.key(42), (8, 4))
    lp_fn = self.variant(distributions.bernoulli_log_prob)
    p = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
    for x in (binary, gray):
      x64 = x.astype(np.float64)
      expected = (x64 * np.log(p) + (1.0 - x64) * np.log(1.0 - p)).sum(-1)
      lp = lp_fn(x, logits)
      chex.assert_shape(lp, (8,))
      np.testing.assert_allclose(lp, expected, rtol=1e-5, atol=1e-4)

  @chex.variants(with_jit=True, without_jit=True)
  def test_bernoulli_log_prob_matches_scipy_for_binary_data(self):
    logits = 3.0 * _normal(jax.random.key(43), (6, 3, 4))
    x = (_uniform(jax.random.key(44), (6, 3, 4)) < 0.3).astype(np.float32)
    fn = functools.partial(distributions.bernoulli_log_prob, batch_ndim=2)
    lp = self.variant(fn)(x, logits)
    chex.assert_shape(lp, (6, 3))
    p = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
    expected = stats.bernoulli.logpmf(x, p).sum(-1)
    np.testing.assert_allclose(lp, expected, rtol=1e-5, atol=1e-4)

  @chex.variants(with_jit=True, without_jit=True)
  def test_bernoulli_log_prob_is_stable_for_extreme_logits(self):
    x = np.array([[1.0], [0.0], [1.0], [0.0], [0.5]], np.float32)
    logits = np.array([[100.0], [-100.0], [-100.0], [100.0], [100.0]],
                      np.float32)
    lp_fn = self.variant(distributions.bernoulli_log_prob)
    lp = lp_fn(x, logits)
    chex.assert_tree_all_finite(lp)
    # log sigmoid(100) ~ -exp(-100) ~ 0 and log sigmoid(-100) ~ -100.
    np.testing.assert_allclose(lp, [0.0, 0.0, -100.0, -100.0, -50.0],
                               atol=1e-5)
    # d/dl = x - sigmoid(l): 0, 0, 1, -1, -0.5.
    grads = jax.grad(lambda l: jnp.sum(lp_fn(x, l)))(logits)
    np.testing.assert_allclose(grads, [[0.0], [0.0], [1.0], [-1.0], [-0.5]],
                               atol=1e-6)


class ReparameterizeTest(chex.TestCase):

  @chex.variants(with_jit=True, without_jit=True)
  def test_sample_moments(self):
    dim = 4
    n = _MC_SAMPLES
    mean = np.array([-2.0, 0.0, 0.5, 3.0], np.float32)
    logvar = np.array([-3.0, 0.0, 1.0, 2.0], np.float32)
    z = self.variant(distributions.reparameterize)(
        jax.random.key(50), np.broadcast_to(mean, (n, dim)),
        np.broadcast_to(logvar, (n, dim)))
    chex.assert_shape(z, (n, dim))
    z = np.asarray(z, np.float64)
    var = np.exp(logvar.astype(np.float64))
    # Standard errors of the sample mean and of the sample variance of a
    # Gaussian: sqrt(var / n) and var * sqrt(2 / (n - 1)).
    np.testing.assert_array_less(np.abs(z.mean(0) - mean),
                                 _NUM_SE * np.sqrt(var / n))
    np.testing.assert_array_less(np.abs(z.var(0, ddof=1) - var),
                                 _NUM_SE * var * np.sqrt(2.0 / (n - 1)))
    # Coordinates are drawn independently.
    corr = np.corrcoef(z, rowvar=False)[np.triu_indices(dim, 1)]
    np.testing.assert_array_less(np.abs(corr), _NUM_SE / np.sqrt(n))

  @chex.variants(with_jit=True, without_jit=True)
  def test_gradients(self):
    mean, logvar = _random_gaussian(51, (8, 4), logvar_range=2.0)
    key = jax.random.key(52)
    sample = self.variant(distributions.reparameterize)
    z = np.asarray(sample(key, mean, logvar), np.float64)
    eps = (z - mean) * np.exp(-0.5 * logvar.astype(np.float64))
    # The noise does not depend on (mean, logvar): the same key gives the
    # same eps at other parameters.
    z_other = np.asarray(sample(key, mean + 1.0, logvar - 1.0), np.float64)
    np.testing.assert_allclose(
        (z_other - mean - 1.0) * np.exp(-0.5 * (logvar - 1.0)), eps,
        rtol=1e-4, atol=1e-5)
    grad_mean, grad_logvar = jax.grad(
        lambda m, lv: jnp.sum(sample(key, m, lv)), argnums=(0, 1))(mean,
                                                                  logvar)
    np.testing.assert_allclose(grad_mean, np.ones((8, 4)), rtol=1e-6)
    np.testing.assert_allclose(grad_logvar,
                               0.5 * np.exp(0.5 * logvar) * eps,
                               rtol=1e-4, atol=1e-6)
    # Elementwise: z_ij depends on (mean_ij, logvar_ij) only.
    jac = np.asarray(jax.jacobian(lambda lv: sample(key, mean, lv))(logvar))
    jac = jac.reshape(32, 32)
    np.testing.assert_array_equal(jac - np.diag(np.diag(jac)), 0.0)

  @chex.variants(with_jit=True, without_jit=True)
  def test_deterministic_given_key(self):
    mean, logvar = _random_gaussian(53, (8, 4))
    sample = self.variant(distributions.reparameterize)
    np.testing.assert_array_equal(sample(jax.random.key(1), mean, logvar),
                                  sample(jax.random.key(1), mean, logvar))
    self.assertFalse(np.allclose(sample(jax.random.key(1), mean, logvar),
                                 sample(jax.random.key(2), mean, logvar)))


class PerExampleKeysTest(chex.TestCase):

  @chex.variants(with_jit=True, without_jit=True)
  def test_sharded_batches_equal_global_batch(self):
    key = jax.random.key(60)
    keys_fn = self.variant(distributions.per_example_keys,
                           static_argnums=(1,))
    whole = jax.random.key_data(keys_fn(key, 8, 0))
    shards = [jax.random.key_data(keys_fn(key, 2, np.int32(offset)))
              for offset in (0, 2, 4, 6)]
    np.testing.assert_array_equal(whole, np.concatenate(shards))

  @chex.variants(with_jit=True, without_jit=True)
  def test_keys_are_fold_in_of_global_index_and_distinct(self):
    key = jax.random.key(61)
    keys_fn = self.variant(distributions.per_example_keys,
                           static_argnums=(1,))
    keys = np.asarray(jax.random.key_data(keys_fn(key, 5, 3)))
    expected = np.stack([jax.random.key_data(jax.random.fold_in(key, i))
                         for i in range(3, 8)])
    np.testing.assert_array_equal(keys, expected)
    self.assertLen({tuple(row) for row in keys}, 5)

  def test_vmapped_offsets_match_global_batch(self):
    # The shape of a pmap step: each device passes its own traced offset.
    key = jax.random.key(62)
    sharded = jax.vmap(
        lambda o: distributions.per_example_keys(key, 2, o))(
            np.arange(0, 8, 2))
    np.testing.assert_array_equal(
        np.asarray(jax.random.key_data(sharded)).reshape(8, -1),
        jax.random.key_data(distributions.per_example_keys(key, 8)))

  def test_noise_from_sharded_keys_equals_global_noise(self):
    key = jax.random.key(63)
    mean = np.zeros((8, 3), np.float32)
    logvar = np.zeros((8, 3), np.float32)
    sample = jax.jit(jax.vmap(distributions.reparameterize))
    whole = sample(distributions.per_example_keys(key, 8), mean, logvar)
    parts = [sample(distributions.per_example_keys(key, 2, o),
                    mean[o:o + 2], logvar[o:o + 2]) for o in (0, 2, 4, 6)]
    np.testing.assert_array_equal(whole, np.concatenate(parts))



@pytest.mark.parametrize("mean,log_scale", [(0.3, -3.0), (0.0, -6.0),
                                            (1.2, 0.0), (0.5, -8.0),
                                            (-5.0, -2.0), (0.7, -12.0)])
def test_discretized_gaussian_is_a_distribution_over_the_grid(mean, log_scale):
  """The 256 bin probabilities sum to one for any mean and scale, also far
  in the tails (where the bins' masses are differences of tiny CDFs). At
  scales far below a bin (1e-6) float32 bin edges limit the sum to ~1e-4."""
  grid = jnp.arange(256, dtype=jnp.float32) / 255.0
  log_p = distributions.discretized_gaussian_log_prob(
      grid[:, None], jnp.full((256, 1), mean), jnp.float32(log_scale))
  assert np.all(np.isfinite(log_p)) and np.all(np.asarray(log_p) <= 0)
  np.testing.assert_allclose(np.sum(np.exp(log_p)), 1.0,
                             rtol=1e-4 if log_scale < -10 else 1e-5)


def test_discretized_gaussian_matches_cdf_differences():
  x = np.array([[0.0, 10 / 255, 128 / 255, 1.0]], np.float32)
  mean = np.array([[0.1, 0.05, 0.5, 0.9]], np.float32)
  scale = 0.07
  h = 0.5 / 255
  cdf = lambda v: stats.norm.cdf((v - mean) / scale)
  expected = np.where(x == 0, cdf(x + h),
                      np.where(x == 1, 1 - cdf(x - h), cdf(x + h) - cdf(x - h)))
  got = distributions.discretized_gaussian_log_prob(
      jnp.asarray(x), jnp.asarray(mean), jnp.log(scale), batch_ndim=2)
  np.testing.assert_allclose(np.exp(got), expected, rtol=1e-4)



# Hierarchies of diagonal Gaussians (`sample_layers`, `layer_params`).


def _nonlinear_layers(context):
  """A 3-layer hierarchy of widths (2, 3, 1) whose means and log-variances
  depend non-linearly on the layers above and on a per-example
  `context [B, 2]`."""
  rng = np.random.default_rng(70)
  widths = (2, 3, 1)
  weights = [rng.normal(size=(sum(widths[:l]), w)).astype(np.float32)
             for l, w in enumerate(widths)]
  ctx_weights = [rng.normal(size=(2, 2 * w)).astype(np.float32)
                 for w in widths]

  def layer_fn(layer, upper):
    assert (upper is None) == (layer == 0)
    out = context @ ctx_weights[layer]
    mean, logvar = out[:, :widths[layer]], out[:, widths[layer]:]
    if upper is not None:
      chex.assert_shape(upper, (context.shape[0], sum(widths[:layer])))
      mean = mean + jnp.tanh(upper @ weights[layer])
      logvar = logvar + jnp.sin(upper @ weights[layer])
    return mean, logvar
  return layer_fn


def test_layer_params_at_the_sample_are_the_sampled_parameters():
  context = _normal(jax.random.key(71), (16, 2))
  layer_fn = _nonlinear_layers(context)
  keys = distributions.per_example_keys(jax.random.key(72), 16)
  z, mean, logvar = distributions.sample_layers(keys, layer_fn, 3)
  chex.assert_shape([z, mean, logvar], (16, 6))
  mean2, logvar2 = distributions.layer_params(layer_fn, z, 3)
  np.testing.assert_array_equal(mean2, mean)
  np.testing.assert_array_equal(logvar2, logvar)
  # The lower layers' parameters depend on the sample drawn above them: at
  # another z they differ (the top layer's do not).
  z_other, _, _ = distributions.sample_layers(
      distributions.per_example_keys(jax.random.key(73), 16), layer_fn, 3)
  mean3, _ = distributions.layer_params(layer_fn, z_other, 3)
  np.testing.assert_array_equal(mean3[:, :2], mean[:, :2])
  assert np.all(np.abs(np.asarray(mean3 - mean)[:, 2:]) > 0)


# Two layers: z0 ~ N(mu0, diag(v0)) [2], z1 | z0 ~ N(w . z0 + c, v1) [1].
_MU0 = np.array([0.5, -1.0], np.float32)
_LOGVAR0 = np.log(np.array([0.6, 2.0], np.float32))
_W, _C, _LOGVAR1 = np.array([[1.5], [-0.7]], np.float32), 0.3, np.log(0.4)


def _linear_layers(batch):
  def layer_fn(layer, upper):
    if layer == 0:
      return (jnp.broadcast_to(_MU0, (batch, 2)),
              jnp.broadcast_to(_LOGVAR0, (batch, 2)))
    return upper @ _W + _C, jnp.full((batch, 1), _LOGVAR1, jnp.float32)
  return layer_fn


def _linear_joint():
  """The mean [3] and covariance [3, 3] of (z0, z1), in float64."""
  w, v0 = _W.astype(np.float64), np.exp(_LOGVAR0.astype(np.float64))
  mean = np.concatenate([_MU0, _MU0 @ w + _C])
  cov = np.zeros((3, 3))
  cov[:2, :2] = np.diag(v0)
  cov[:2, 2:] = np.diag(v0) @ w
  cov[2:, :2] = cov[:2, 2:].T
  cov[2, 2] = (w.T @ np.diag(v0) @ w)[0, 0] + np.exp(_LOGVAR1)
  return mean, cov


def test_sample_layers_moments_match_the_joint_gaussian():
  n = 20_000
  keys = distributions.per_example_keys(jax.random.key(74), n)
  sample = jax.jit(lambda k: distributions.sample_layers(
      k, _linear_layers(n), 2)[0])
  z = np.asarray(sample(keys), np.float64)
  chex.assert_shape(z, (n, 3))
  mean, cov = _linear_joint()
  # Standard errors of a sample mean, sqrt(S_ii / n), and of a Gaussian
  # sample covariance, sqrt((S_ii S_jj + S_ij^2) / (n - 1)).
  np.testing.assert_array_less(np.abs(z.mean(0) - mean),
                               _NUM_SE * np.sqrt(np.diag(cov) / n))
  var = np.diag(cov)
  cov_se = np.sqrt((np.outer(var, var) + cov ** 2) / (n - 1))
  np.testing.assert_array_less(np.abs(np.cov(z, rowvar=False) - cov),
                               _NUM_SE * cov_se)
  # The layers are correlated (z1 depends on z0), within a layer not.
  assert np.all(np.abs(cov[:2, 2]) > 20 * cov_se[:2, 2])


def test_layer_params_give_the_joint_log_density():
  """gaussian_log_prob(z, *layer_params(...)) is log p(z0) + log p(z1 |
  z0), the density of the joint Gaussian."""
  z = 2.0 * _normal(jax.random.key(75), (32, 3))
  lp = distributions.gaussian_log_prob(
      z, *distributions.layer_params(_linear_layers(32), z, 2))
  mean, cov = _linear_joint()
  np.testing.assert_allclose(
      lp, stats.multivariate_normal(mean, cov).logpdf(z.astype(np.float64)),
      rtol=1e-5, atol=1e-4)


def _elementwise_layers(context):
  """Two 2-wide layers whose parameters depend row by row on `context [B,
  2]` and on the row's upper sample (no reduction across the batch)."""
  def layer_fn(layer, upper):
    if layer == 0:
      return context, 0.5 * context[:, ::-1]
    return 0.5 * upper + context, -0.25 * jnp.abs(upper)
  return layer_fn


def test_sample_layers_draws_per_example_noise():
  """Example i's sample depends on its key and parameters only, not on the
  batch it is drawn in."""
  context = _normal(jax.random.key(76), (8, 2))
  keys = distributions.per_example_keys(jax.random.key(77), 8)
  sample = jax.jit(lambda k, c: distributions.sample_layers(
      k, _elementwise_layers(c), 2))
  whole = sample(keys, context)
  halves = [sample(keys[i:i + 4], context[i:i + 4]) for i in (0, 4)]
  for got, part0, part1 in zip(whole, *halves):
    np.testing.assert_array_equal(got, np.concatenate([part0, part1]))
  reversed_ = sample(keys[::-1], context[::-1])
  for got, rev in zip(whole, reversed_):
    np.testing.assert_array_equal(got, np.asarray(rev)[::-1])
  # Equal parameters, distinct keys: distinct samples, in every layer.
  z, _, _ = sample(keys, np.zeros((8, 2), np.float32))
  z = np.asarray(z)
  for d in range(4):
    assert len(set(z[:, d].tolist())) == 8


def test_layer_params_rejects_a_z_of_the_wrong_width():
  layer_fn = _elementwise_layers(np.zeros((4, 2), np.float32))
  mean, _ = distributions.layer_params(layer_fn, np.zeros((4, 4)), 2)
  chex.assert_shape(mean, (4, 4))
  for width in (3, 5, 6):
    # (layer_fn adds `upper` to a 2-wide context: give it 2 columns.)
    fn = lambda layer, upper: layer_fn(layer, None if upper is None
                                       else upper[:, :2])
    with pytest.raises(ValueError, match=f"4 dimensions, z has {width}"):
      distributions.layer_params(fn, np.zeros((4, width)), 2)


if __name__ == "__main__":
  absltest.main()
