"""The largest singular value of a weight matrix by power iteration.

Spectral normalisation (Miyato et al. 2018, "Spectral Normalization for
Generative Adversarial Networks", arXiv:1802.05957) divides each weight of a
discriminator by its spectral norm sigma(W), the largest singular value, so
that every layer, and with 1-Lipschitz activations the whole network, is
1-Lipschitz. sigma is estimated by power iteration on a persistent vector u:

    v = W u / ||W u||,   u' = W^T v / ||W^T v||,   sigma = v^T W u',

one iteration per training step being enough because W changes slowly
(the paper's Algorithm 1). u and v carry no gradient; the gradient of
sigma is then v u'^T, that of the true sigma at convergence.

A kernel of any rank is read as a matrix `[prod(shape[:-1]), shape[-1]]`
(inputs by outputs), as the paper does for convolutions.
"""

import jax
import jax.numpy as jnp

EPSILON = 1e-12


def as_matrix(kernel: jax.Array) -> jax.Array:
  """`[..., out]` kernel -> `[prod(...), out]`."""
  return kernel.reshape(-1, kernel.shape[-1])


def _normalise(x: jax.Array) -> jax.Array:
  return x / (jnp.linalg.norm(x) + EPSILON)


def power_iteration(matrix: jax.Array, u: jax.Array, num_steps: int = 1
                    ) -> tuple[jax.Array, jax.Array]:
  """`num_steps` power iterations from `u`.

  Args:
    matrix: `[m, n]`.
    u: `[n]`, the right singular vector estimate (any non-zero start).
    num_steps: iterations (>= 1).

  Returns:
    (sigma, u'): the estimate of the largest singular value (differentiable
    in `matrix`, with u and v held fixed) and the new vector (no gradient).
  """
  if num_steps < 1:
    raise ValueError(f"power iteration needs num_steps >= 1, got {num_steps}")
  u = jax.lax.stop_gradient(u)
  m = jax.lax.stop_gradient(matrix)
  for _ in range(num_steps):
    v = _normalise(m @ u)
    u = _normalise(m.T @ v)
  sigma = v @ matrix @ u
  return sigma, u
