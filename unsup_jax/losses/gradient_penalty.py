"""Penalties on the gradient of a GAN critic with respect to its input.

* `gradient_penalty`: WGAN-GP of Gulrajani et al. (2017), "Improved Training
  of Wasserstein GANs", arXiv:1704.00028, eq. 3: a soft 1-Lipschitz
  constraint E[(||grad_x D(x_hat)||_2 - 1)^2], with x_hat uniform on the
  segment between a real and a generated sample.
* `r1_penalty`: R1 of Mescheder, Geiger & Nowozin (2018), "Which Training
  Methods for GANs do actually Converge?", arXiv:1801.04406, eq. 9:
  E[||grad_x D(x)||^2] on real data only. The paper's regulariser is
  gamma / 2 times this; the caller multiplies.

Both take the critic as a function `critic_fn(x [B, ...]) -> [B] or [B, 1]`
(close over its parameters to differentiate the penalty with respect to
them: the input gradient is itself differentiable) and return
`(penalty, metrics)`. Both are re-exported by `unsup_jax.losses.adversarial`.
"""

from typing import Callable

import jax
import jax.numpy as jnp

from unsup_jax.errors import UserError
from unsup_jax.ops import distributions

Metrics = dict[str, jax.Array]
Critic = Callable[[jax.Array], jax.Array]


def _input_gradients(critic_fn: Critic, x: jax.Array) -> jax.Array:
  """Per-example gradients d critic(x)_i / d x_i, `[B, ...]` like `x`.

  The gradient of the sum over the batch of the critic outputs: example i's
  output depends only on x_i (the examples are processed independently, i.e.
  no batch statistics in train mode), so its gradient with respect to x_i is
  the i-th slice of the gradient of the sum. One backward pass, no vmap.
  """
  def total(inputs):
    out = critic_fn(inputs)
    if out.shape[0] != inputs.shape[0] or out.size != inputs.shape[0]:
      raise UserError(f"critic_fn must return [B] or [B, 1] outputs, got "
                      f"shape {out.shape} for a batch of {inputs.shape[0]}")
    return jnp.sum(out)
  return jax.grad(total)(x)


def _squared_norms(grads: jax.Array) -> jax.Array:
  """`[B]` squared L2 norms of the flattened per-example gradients."""
  flat = grads.reshape(grads.shape[0], -1)
  return jnp.sum(jnp.square(flat), axis=1)


def _safe_sqrt(sq: jax.Array) -> jax.Array:
  """sqrt with a zero (not NaN) derivative at 0."""
  positive = sq > 0
  return jnp.where(positive, jnp.sqrt(jnp.where(positive, sq, 1.0)), 0.0)


def gradient_penalty(critic_fn: Critic, real: jax.Array, fake: jax.Array,
                     key: jax.Array, *, example_offset: jax.Array | int = 0
                     ) -> tuple[jax.Array, Metrics]:
  """WGAN-GP: E[(||grad_x D(x_hat)||_2 - 1)^2] (Gulrajani et al. 2017).

  x_hat = eps real + (1 - eps) fake with one eps ~ U[0, 1] per example.
  The penalty is zero exactly when the critic's input gradient has unit norm
  at every interpolate (e.g. a linear critic <w, x> + b with ||w|| = 1).

  Args:
    critic_fn: `x [B, ...] -> [B]` or `[B, 1]` critic outputs.
    real: `[B, ...]` real samples (e.g. images `[B, H, W, C]`).
    fake: `[B, ...]` generated samples, the same shape as `real`.
    key: PRNG key for the interpolation weights.
    example_offset: global index of the first example: example i draws its
      weight from `fold_in(key, example_offset + i)`, so a batch split over
      devices draws the weights one device would.

  Returns:
    (penalty, {"d_gp": penalty, "d_grad_norm": mean gradient norm}).
  """
  if real.shape != fake.shape:
    raise UserError(f"gradient_penalty needs real and fake of one shape, got "
                    f"{real.shape} and {fake.shape}")
  b = real.shape[0]
  keys = distributions.per_example_keys(key, b, example_offset)
  eps = jax.vmap(lambda k: jax.random.uniform(k, dtype=real.dtype))(keys)
  eps = eps.reshape((b,) + (1,) * (real.ndim - 1))
  x_hat = eps * real + (1.0 - eps) * fake
  norms = _safe_sqrt(_squared_norms(_input_gradients(critic_fn, x_hat)))
  penalty = jnp.mean(jnp.square(norms - 1.0))
  return penalty, {"d_gp": penalty, "d_grad_norm": jnp.mean(norms)}


def r1_penalty(critic_fn: Critic,
               real: jax.Array) -> tuple[jax.Array, Metrics]:
  """R1: E[||grad_x D(x)||_2^2] on real data (Mescheder et al. 2018).

  Not yet scaled: the regulariser of the paper is `gamma / 2 * penalty`.

  Args:
    critic_fn: `x [B, ...] -> [B]` or `[B, 1]` critic outputs.
    real: `[B, ...]` real samples.

  Returns:
    (penalty, {"d_r1": penalty}).
  """
  penalty = jnp.mean(_squared_norms(_input_gradients(critic_fn, real)))
  return penalty, {"d_r1": penalty}
