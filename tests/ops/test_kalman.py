"""Properties of ops/kalman.py against brute-force Gaussian conditioning.

The reference writes every state and observation of a short sequence as a
linear map of the independent noises (s_1 - initial_mean, w_1.., v_1..),
builds their joint Gaussian explicitly in float64 and conditions it with
dense linear algebra: no recursion shared with the filter.
"""

import functools

import chex
import jax
import numpy as np
import pytest
import scipy.linalg
from scipy import stats

from unsup_jax.ops import kalman

# float32 computation against float64 references.
_TOL = dict(rtol=1e-4, atol=1e-5)


def _random_model(seed, s, o):
  """A random stable model as a dict of float32 numpy arrays."""
  rng = np.random.default_rng(seed)
  a = rng.normal(size=(s, s))
  a *= 0.9 / np.max(np.abs(np.linalg.eigvals(a)))
  pd = lambda n, floor: (lambda b: b @ b.T / n + floor * np.eye(n))(
      rng.normal(size=(n, n)))
  arrays = dict(transition=a, process_cov=pd(s, 0.1),
                observation=rng.normal(size=(o, s)),
                observation_cov=pd(o, 0.2), initial_mean=rng.normal(size=s),
                initial_cov=pd(s, 0.5))
  return {k: v.astype(np.float32) for k, v in arrays.items()}


def _joint(arrays, n):
  """Mean and covariance of x = (s_1..s_n, y_1..y_n), in float64.

  x = mean + L z for the independent noises z = (s_1 - initial_mean,
  w_1..w_{n-1}, v_1..v_n), so Cov[x] = L Cov[z] L^T.
  """
  f = {k: np.asarray(v, np.float64) for k, v in arrays.items()}
  a, h = f["transition"], f["observation"]
  o, s = h.shape
  powers = [np.linalg.matrix_power(a, k) for k in range(n)]
  lin = np.zeros((n * (s + o), n * s + n * o))   # noises: e0, w_1.., v_1..
  mean = np.zeros(n * (s + o))
  for t in range(n):                                 # s_{t+1}, y_{t+1}
    rows = slice(t * s, (t + 1) * s)
    mean[rows] = powers[t] @ f["initial_mean"]
    for k in range(t + 1):                           # e0 when k = 0, else w_k
      lin[rows, k * s:(k + 1) * s] = powers[t - k]
    y_rows = slice(n * s + t * o, n * s + (t + 1) * o)
    mean[y_rows] = h @ mean[rows]
    lin[y_rows, :n * s] = h @ lin[rows, :n * s]
    lin[y_rows, n * s + t * o:n * s + (t + 1) * o] = np.eye(o)
  noise_cov = scipy.linalg.block_diag(
      f["initial_cov"], *[f["process_cov"]] * (n - 1),
      *[f["observation_cov"]] * n)
  return mean, lin @ noise_cov @ lin.T


def _indices(arrays, n):
  """Functions t -> indices of s_t and of y_t (t from 1) in the joint."""
  o, s = arrays["observation"].shape
  return (lambda t: np.arange((t - 1) * s, t * s),
          lambda t: n * s + np.arange((t - 1) * o, t * o))


def _condition(mean, cov, target, given, values):
  """Mean and covariance of x[target] given x[given] = values."""
  if not len(given):
    return mean[target], cov[np.ix_(target, target)]
  cross = cov[np.ix_(target, given)]
  residual = values - mean[given]
  solve = np.linalg.solve(cov[np.ix_(given, given)],
                          np.concatenate([residual[:, None], cross.T], 1))
  return (mean[target] + cross @ solve[:, 0],
          cov[np.ix_(target, target)] - cross @ solve[:, 1:])


def _sample_ys(mean, cov, y_at, t_obs, seed):
  """float32 observations y_1..y_T drawn from the joint `[T, O]`."""
  x = np.random.default_rng(seed).multivariate_normal(mean, cov)
  return np.stack([x[y_at(t)] for t in range(1, t_obs + 1)]).astype(
      np.float32)


@pytest.mark.parametrize("s, o", [(2, 1), (3, 2)])
def test_matches_brute_force_conditioning(s, o):
  t_obs, max_jump = 6, 4
  n = t_obs + max_jump                   # horizon, so t + d can pass T
  arrays = _random_model(s + 10 * o, s, o)
  model = kalman.LinearGaussian.from_arrays(arrays)
  mean, cov = _joint(arrays, n)
  s_at, y_at = _indices(arrays, n)
  ys = _sample_ys(mean, cov, y_at, t_obs, seed=s)
  y64 = ys.astype(np.float64)
  given = lambda t: np.concatenate([y_at(k) for k in range(1, t + 1)] +
                                   [np.zeros(0, int)])

  filtered = kalman.kalman_filter(model, ys)
  chex.assert_shape([filtered.mean, filtered.cov, filtered.log_likelihood],
                    [(t_obs, s), (t_obs, s, s), (t_obs,)])
  jumps = kalman.jump_predictions(model, ys, max_jump)
  chex.assert_shape([jumps["mean"], jumps["cov"]],
                    [(max_jump, t_obs, o), (max_jump, t_obs, o, o)])
  for t in range(1, t_obs + 1):
    # (a) p(s_t | y_1..t).
    m, c = _condition(mean, cov, s_at(t), given(t), y64[:t].ravel())
    np.testing.assert_allclose(filtered.mean[t - 1], m, **_TOL)
    np.testing.assert_allclose(filtered.cov[t - 1], c, **_TOL)
    # (c), per step: log p(y_t | y_1..t-1).
    m, c = _condition(mean, cov, y_at(t), given(t - 1), y64[:t - 1].ravel())
    np.testing.assert_allclose(filtered.log_likelihood[t - 1],
                               stats.multivariate_normal.logpdf(y64[t - 1],
                                                                m, c), **_TOL)
  # (b) p(s_{t+d} | y_1..t) and p(y_{t+d} | y_1..t), all t at once.
  for d in range(1, max_jump + 1):
    predicted = kalman.predict(model, filtered.mean, filtered.cov, d)
    for t in range(1, t_obs + 1):
      values = y64[:t].ravel()
      state = _condition(mean, cov, s_at(t + d), given(t), values)
      obs = _condition(mean, cov, y_at(t + d), given(t), values)
      for got, want in zip(predicted, state + obs):
        np.testing.assert_allclose(got[t - 1], want, **_TOL)
      np.testing.assert_allclose(jumps["mean"][d - 1, t - 1], obs[0], **_TOL)
      np.testing.assert_allclose(jumps["cov"][d - 1, t - 1], obs[1], **_TOL)
  # (c) the sum is the marginal density of all observations.
  observed = given(t_obs)
  np.testing.assert_allclose(
      np.sum(np.asarray(filtered.log_likelihood, np.float64)),
      stats.multivariate_normal.logpdf(
          y64.ravel(), mean[observed], cov[np.ix_(observed, observed)]),
      **_TOL)


@pytest.mark.parametrize("y_shape, mean_shape, cov_batch", [
    ((5, 3), (3,), ()),
    ((4, 3), (4, 3), (4,)),
    ((2, 1, 3), (3,), (4,)),
])
def test_gaussian_log_prob_matches_scipy(y_shape, mean_shape, cov_batch):
  rng = np.random.default_rng(len(y_shape) + len(cov_batch))
  y = rng.normal(size=y_shape).astype(np.float32)
  mean = rng.normal(size=mean_shape).astype(np.float32)
  b = rng.normal(size=cov_batch + (3, 3))
  cov = (b @ np.swapaxes(b, -1, -2) + 0.3 * np.eye(3)).astype(np.float32)
  got = kalman.gaussian_log_prob(y, mean, cov)
  batch = np.broadcast_shapes(y_shape[:-1], mean_shape[:-1], cov_batch)
  chex.assert_shape(got, batch)
  y, mean = (np.broadcast_to(x, batch + (3,)).astype(np.float64)
             for x in (y, mean))
  cov = np.broadcast_to(cov, batch + (3, 3)).astype(np.float64)
  want = [stats.multivariate_normal.logpdf(y[i], mean[i], cov[i])
          for i in np.ndindex(batch)]
  np.testing.assert_allclose(np.ravel(got), want, **_TOL)


def test_jit_and_vmap_over_sequences():
  arrays = _random_model(7, 3, 2)
  model = kalman.LinearGaussian.from_arrays(arrays)
  ys = np.random.default_rng(0).normal(size=(4, 6, 2)).astype(np.float32)
  batched_filter = jax.jit(jax.vmap(kalman.kalman_filter, in_axes=(None, 0)))
  jumps_fn = functools.partial(kalman.jump_predictions, max_jump=3)
  batched_jumps = jax.jit(jax.vmap(jumps_fn, in_axes=(None, 0)))
  filtered, jumps = batched_filter(model, ys), batched_jumps(model, ys)
  for i, y in enumerate(ys):
    chex.assert_trees_all_close(
        jax.tree.map(lambda x: x[i], (filtered, jumps)),
        (kalman.kalman_filter(model, y), jumps_fn(model, y)),
        rtol=1e-5, atol=1e-6)


def test_limits_of_the_observation_noise():
  arrays = _random_model(3, 2, 1)
  ys = np.random.default_rng(1).normal(size=(6, 1)).astype(np.float32)
  # R -> infinity: the observations are ignored, the filter is the prior.
  loud = kalman.LinearGaussian.from_arrays(
      dict(arrays, observation_cov=np.array([[1e8]], np.float32)))
  filtered = kalman.kalman_filter(loud, ys)
  a, q = (arrays[k].astype(np.float64) for k in ("transition", "process_cov"))
  m = arrays["initial_mean"].astype(np.float64)
  p = arrays["initial_cov"].astype(np.float64)
  for t in range(6):
    np.testing.assert_allclose(filtered.mean[t], m, **_TOL)
    np.testing.assert_allclose(filtered.cov[t], p, **_TOL)
    m, p = a @ m, a @ p @ a.T + q
  # R -> 0 with H = [1, 0]: the filtered position is the observation.
  exact = kalman.LinearGaussian.from_arrays(
      dict(arrays, observation=np.array([[1.0, 0.0]], np.float32),
           observation_cov=np.array([[1e-10]], np.float32)))
  filtered = kalman.kalman_filter(exact, ys)
  np.testing.assert_allclose(filtered.mean[:, 0], ys[:, 0], **_TOL)
  np.testing.assert_allclose(filtered.cov[:, 0, 0], 0.0, atol=1e-5)


def test_argument_checks():
  arrays = _random_model(0, 2, 1)
  model = kalman.LinearGaussian.from_arrays(arrays)
  chex.assert_trees_all_equal(
      model, kalman.LinearGaussian(**{k: np.asarray(v)
                                      for k, v in arrays.items()}))
  with pytest.raises(ValueError, match="keys"):
    kalman.LinearGaussian.from_arrays(dict(arrays, extra=np.zeros(1)))
  with pytest.raises(ValueError, match="jump"):
    kalman.predict(model, model.initial_mean, model.initial_cov, 0)
  with pytest.raises(ValueError, match="max_jump"):
    kalman.jump_predictions(model, np.zeros((3, 1), np.float32), 0)
