"""The exact Kalman filter and jumpy predictions of a linear-Gaussian model.

Kalman (1960), "A New Approach to Linear Filtering and Prediction Problems",
J. Basic Eng. 82(1); notation as in Särkkä (2013), "Bayesian Filtering and
Smoothing", Chapter 4. The state-space model is

  s_1 ~ N(initial_mean, initial_cov),
  s_{t+1} = A s_t + w_t,  w_t ~ N(0, Q),
  y_t = H s_t + v_t,      v_t ~ N(0, R),

with states `[S]` and observations `[O]`. Its filtered posterior
p(s_t | y_1..t) and its `d`-step predictive p(y_{t+d} | y_1..t) are Gaussian
and exact: the optimum that a learned sequence model (e.g. TD-VAE) can reach.

Covariances are updated in Joseph form and symmetrised after every step;
the gain and the densities go through Cholesky solves, never an inverse.
"""

import math
from typing import Mapping, NamedTuple

import jax
import jax.numpy as jnp

_LOG_2PI = math.log(2.0 * math.pi)


class LinearGaussian(NamedTuple):
  """A linear-Gaussian state-space model.

  Attributes:
    transition: `[S, S]` A.
    process_cov: `[S, S]` Q, the covariance of the transition noise.
    observation: `[O, S]` H.
    observation_cov: `[O, O]` R, the covariance of the observation noise.
    initial_mean: `[S]` mean of s_1.
    initial_cov: `[S, S]` covariance of s_1.
  """
  transition: jax.Array
  process_cov: jax.Array
  observation: jax.Array
  observation_cov: jax.Array
  initial_mean: jax.Array
  initial_cov: jax.Array

  @classmethod
  def from_arrays(cls, arrays: Mapping[str, object],
                  dtype=jnp.float32) -> "LinearGaussian":
    """The model from a mapping with exactly the six field names (e.g.
    dataset metadata of numpy arrays), cast to `dtype`."""
    if set(arrays) != set(cls._fields):
      raise ValueError(f"expected exactly the keys {sorted(cls._fields)}, "
                       f"got {sorted(arrays)}")
    return cls(**{k: jnp.asarray(arrays[k], dtype) for k in cls._fields})


class Filtered(NamedTuple):
  """The filtering distributions of a sequence.

  Attributes:
    mean: `[T, S]` E[s_t | y_1..t].
    cov: `[T, S, S]` Cov[s_t | y_1..t].
    log_likelihood: `[T]` log p(y_t | y_1..t-1), the one-step predictive
      density of each observation; their sum is log p(y_1..T).
  """
  mean: jax.Array
  cov: jax.Array
  log_likelihood: jax.Array


def _symmetrize(x: jax.Array) -> jax.Array:
  return 0.5 * (x + jnp.swapaxes(x, -1, -2))


def _log_prob_from_chol(diff: jax.Array, chol: jax.Array) -> jax.Array:
  """log N(diff; 0, L L^T) for `diff [..., D]` and lower `chol [..., D, D]`."""
  batch = jnp.broadcast_shapes(diff.shape[:-1], chol.shape[:-2])
  d = diff.shape[-1]
  diff = jnp.broadcast_to(diff, batch + (d,))
  chol = jnp.broadcast_to(chol, batch + (d, d))
  z = jax.scipy.linalg.solve_triangular(chol, diff[..., None], lower=True)
  log_det = 2.0 * jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), -1)
  return -0.5 * (d * _LOG_2PI + log_det + jnp.sum(jnp.square(z[..., 0]), -1))


def gaussian_log_prob(y: jax.Array, mean: jax.Array,
                      cov: jax.Array) -> jax.Array:
  """log N(y; mean, cov) with a full covariance, via its Cholesky factor.

  Args:
    y: `[..., D]` points.
    mean: `[..., D]` means; leading axes broadcast against `y`.
    cov: `[..., D, D]` positive-definite covariances; leading axes broadcast.

  Returns:
    `[...]` log-densities (the broadcast leading shape).
  """
  return _log_prob_from_chol(y - mean, jnp.linalg.cholesky(_symmetrize(cov)))


def kalman_filter(model: LinearGaussian, ys: jax.Array) -> Filtered:
  """p(s_t | y_1..t) for every t: a `lax.scan` of update-then-predict.

  Args:
    model: the state-space model.
    ys: `[T, O]` observations y_1..y_T.

  Returns:
    The `Filtered` means `[T, S]`, covariances `[T, S, S]` and per-step
    log-likelihoods `[T]`.
  """
  a, q, h, r = (model.transition, model.process_cov, model.observation,
                model.observation_cov)
  eye = jnp.eye(a.shape[0], dtype=a.dtype)

  def step(carry, y):
    mean, cov = carry                           # p(s_t | y_1..t-1)
    hp = h @ cov                                # [O, S]
    chol = jnp.linalg.cholesky(_symmetrize(hp @ h.T + r))
    gain = jax.scipy.linalg.cho_solve((chol, True), hp).T   # P H^T S^-1
    innovation = y - h @ mean
    mean = mean + gain @ innovation
    i_kh = eye - gain @ h
    cov = _symmetrize(i_kh @ cov @ i_kh.T + gain @ r @ gain.T)
    log_lik = _log_prob_from_chol(innovation, chol)
    prior = (a @ mean, _symmetrize(a @ cov @ a.T + q))
    return prior, (mean, cov, log_lik)

  init = (model.initial_mean, model.initial_cov)
  _, (mean, cov, log_lik) = jax.lax.scan(step, init, jnp.asarray(ys, a.dtype))
  return Filtered(mean=mean, cov=cov, log_likelihood=log_lik)


def _transition(model, mean, cov):
  """One step of the dynamics for `mean [..., S]`, `cov [..., S, S]`."""
  a = model.transition
  return mean @ a.T, _symmetrize(a @ cov @ a.T + model.process_cov)


def _observe(model, mean, cov):
  """The distribution of y given that of s: `[..., O]`, `[..., O, O]`."""
  h = model.observation
  return mean @ h.T, _symmetrize(h @ cov @ h.T + model.observation_cov)


def predict(model: LinearGaussian, mean: jax.Array, cov: jax.Array,
            jump: int) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
  """The state and observation distributions `jump` steps ahead.

  From s ~ N(m, P): s' ~ N(A^j m, A^j P (A^j)^T + sum_{k<j} A^k Q (A^k)^T),
  y' ~ N(H m', H P' H^T + R), computed by `jump` transition steps.

  Args:
    model: the state-space model.
    mean: `[..., S]` state means (e.g. all `[T, S]` filtered means).
    cov: `[..., S, S]` state covariances, same leading axes.
    jump: j >= 1, a Python int.

  Returns:
    (state mean `[..., S]`, state cov `[..., S, S]`, observation mean
    `[..., O]`, observation cov `[..., O, O]`).
  """
  if jump < 1:
    raise ValueError(f"jump must be >= 1, got {jump}")
  state = jax.lax.fori_loop(0, jump, lambda _, s: _transition(model, *s),
                            (mean, cov))
  return (*state, *_observe(model, *state))


def jump_predictions(model: LinearGaussian, ys: jax.Array,
                     max_jump: int) -> dict[str, jax.Array]:
  """p(y_{t+d} | y_1..t) for every t and every jump d = 1..D.

  Filters once, then steps all `T` filtered distributions forward together.
  Entries whose t + d is past the end of `ys` are computed all the same (the
  caller masks them).

  Args:
    model: the state-space model.
    ys: `[T, O]` observations.
    max_jump: D >= 1, a Python int.

  Returns:
    {"mean": `[D, T, O]`, "cov": `[D, T, O, O]`}; entry [d - 1, t - 1] is the
    predictive distribution of y_{t+d} given y_1..t.
  """
  if max_jump < 1:
    raise ValueError(f"max_jump must be >= 1, got {max_jump}")
  filtered = kalman_filter(model, ys)

  def step(state, _):
    state = _transition(model, *state)
    return state, _observe(model, *state)

  _, (mean, cov) = jax.lax.scan(step, (filtered.mean, filtered.cov), None,
                                length=max_jump)
  return {"mean": mean, "cov": cov}
