"""Power iteration: converges to the largest singular value, with the
gradient of the largest singular value."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.ops import spectral


def _known_matrix(singular_values, m=6, n=4, seed=0):
  rng = np.random.default_rng(seed)
  u, _ = np.linalg.qr(rng.normal(size=(m, m)))
  v, _ = np.linalg.qr(rng.normal(size=(n, n)))
  s = np.zeros((m, n))
  s[np.arange(len(singular_values)), np.arange(len(singular_values))] = (
      singular_values)
  return jnp.asarray(u @ s @ v.T, jnp.float32), u, v


def test_estimate_converges_to_the_largest_singular_value():
  matrix, _, _ = _known_matrix([3.0, 2.0, 1.0, 0.5])
  u = jax.random.normal(jax.random.key(0), (4,))
  estimates = []
  for _ in range(30):                      # one step per call, as in training
    sigma, u = spectral.power_iteration(matrix, u, 1)
    estimates.append(float(sigma))
  # Never above the largest singular value (a Rayleigh quotient of unit
  # vectors), rising to it at the rate (2/3)^2 per iteration.
  assert max(estimates) <= 3.0 + 1e-5
  np.testing.assert_allclose(estimates[-1], 3.0, rtol=1e-5)
  assert abs(estimates[5] - 3.0) > abs(estimates[-1] - 3.0)
  # Several steps in one call equal one step per call.
  sigma, _ = spectral.power_iteration(
      matrix, jax.random.normal(jax.random.key(0), (4,)), 30)
  np.testing.assert_allclose(sigma, estimates[-1], rtol=1e-6)


def test_gradient_at_convergence_is_that_of_the_largest_singular_value():
  matrix, left, right = _known_matrix([3.0, 2.0, 1.0, 0.5])
  _, u = spectral.power_iteration(matrix, jnp.ones((4,)), 60)
  grad = jax.grad(lambda m: spectral.power_iteration(m, u, 1)[0])(matrix)
  # d sigma_1 / dW = u_1 v_1^T (left and right top singular vectors).
  expected = np.outer(left[:, 0], right[:, 0])
  np.testing.assert_allclose(grad, expected, atol=1e-4)


def test_kernels_are_read_as_inputs_by_outputs():
  kernel = jnp.arange(2 * 3 * 4 * 5, dtype=jnp.float32).reshape(2, 3, 4, 5)
  assert spectral.as_matrix(kernel).shape == (24, 5)


def test_zero_steps_are_refused():
  with pytest.raises(ValueError, match="num_steps"):
    spectral.power_iteration(jnp.eye(3), jnp.ones(3), 0)
