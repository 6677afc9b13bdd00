"""Schedules for KL weights and capacities.

Linear warm-up of the KL weight (Bowman et al. 2016, "Generating Sentences
from a Continuous Space", arXiv:1511.06349) and the linearly increasing
capacity C of Burgess et al. (2018), "Understanding disentangling in
beta-VAE", arXiv:1804.03599.
"""

import jax
import jax.numpy as jnp


def linear_ramp(step: jax.Array, *, start_value: float, end_value: float,
                ramp_steps: int) -> jax.Array:
  """Goes linearly from `start_value` to `end_value` over `ramp_steps`.

  Args:
    step: scalar training step.
    start_value: value at step 0.
    end_value: value from `ramp_steps` on.
    ramp_steps: length of the ramp; <= 0 means `end_value` at once.

  Returns:
    Scalar float32.
  """
  if ramp_steps <= 0:
    return jnp.asarray(end_value, jnp.float32)
  frac = jnp.clip(jnp.asarray(step, jnp.float32) / ramp_steps, 0.0, 1.0)
  return start_value + (end_value - start_value) * frac
