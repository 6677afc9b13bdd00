"""Schedules of the KL weight, and free bits.

Every schedule is a pure function of the training step, usable inside a
compiled step:

* `linear_ramp`: linear warm-up of the KL weight (Bowman et al. 2016,
  "Generating Sentences from a Continuous Space", arXiv:1511.06349) and the
  linearly increasing capacity C of Burgess et al. (2018), arXiv:1804.03599;
* `logistic`: Bowman et al.'s sigmoid annealing, 1 / (1 + exp(-k (t - t0)));
* `cyclical`: Fu et al. (2019), "Cyclical Annealing Schedule: A Simple
  Approach to Mitigating KL Vanishing", arXiv:1903.10145: in every period
  the weight rises linearly over its first `ramp_fraction`, then holds;
* `kl_weight`: one of them by name (what the configs select).

`free_bits` is the objective of Kingma et al. (2016), "Improved
Variational Inference with Inverse Autoregressive Flow", arXiv:1606.04934:
each latent unit's KL, averaged over the batch, counts no less than a floor
lambda, so the optimiser gains nothing by pushing a unit below it.
"""

import jax
import jax.numpy as jnp

KL_SCHEDULES = ("linear", "logistic", "cyclical")
# The logistic curve spans [sigmoid(-5), sigmoid(5)] = [0.0067, 0.9933] of
# its end value over the annealing steps.
LOGISTIC_SPAN = 10.0


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


def logistic(step: jax.Array, *, end_value: float, midpoint: float,
             rate: float) -> jax.Array:
  """`end_value / (1 + exp(-rate (step - midpoint)))` (Bowman et al.)."""
  t = jnp.asarray(step, jnp.float32)
  return end_value * jax.nn.sigmoid(rate * (t - midpoint))


def cyclical(step: jax.Array, *, end_value: float, period: int,
             ramp_fraction: float = 0.5) -> jax.Array:
  """Fu et al.'s cyclical schedule: with tau = (step mod period) / period,
  `end_value * min(1, tau / ramp_fraction)`."""
  if period <= 0:
    raise ValueError(f"period must be positive, got {period}")
  if not 0.0 < ramp_fraction <= 1.0:
    raise ValueError(f"ramp_fraction must be in (0, 1], got {ramp_fraction}")
  tau = jnp.mod(jnp.asarray(step, jnp.int32), period).astype(jnp.float32)
  return end_value * jnp.minimum(1.0, tau / (period * ramp_fraction))


def kl_weight(step: jax.Array, kind: str, *, end_value: float, steps: int,
              ramp_fraction: float = 0.5) -> jax.Array:
  """The KL weight at `step` under schedule `kind`.

  Args:
    step: scalar training step.
    kind: "linear" (0 to `end_value` over `steps`), "logistic" (centred on
      `steps / 2`, from 0.7% to 99.3% of `end_value` over `steps`) or
      "cyclical" (periods of `steps`, rising over `ramp_fraction` of each).
    end_value: the weight the schedule reaches (beta).
    steps: the schedule's length; <= 0 means `end_value` from the start.
    ramp_fraction: the cyclical schedule's rising part of a period.

  Returns:
    Scalar float32.
  """
  if kind not in KL_SCHEDULES:
    raise ValueError(f"unknown KL schedule {kind!r}; choose one of "
                     f"{', '.join(KL_SCHEDULES)}")
  if steps <= 0:
    return jnp.asarray(end_value, jnp.float32)
  if kind == "linear":
    return linear_ramp(step, start_value=0.0, end_value=end_value,
                       ramp_steps=steps)
  if kind == "logistic":
    return logistic(step, end_value=end_value, midpoint=steps / 2,
                    rate=LOGISTIC_SPAN / steps)
  return cyclical(step, end_value=end_value, period=steps,
                  ramp_fraction=ramp_fraction)


def free_bits(kl_units: jax.Array, floor: float) -> jax.Array:
  """Per-example KL with free bits, from per-unit KLs `[B, D]`.

  Kingma et al.'s term is sum_u max(floor, mean_b KL_bu). Returned per
  example: a unit whose batch mean is at least `floor` contributes its own
  KL_bu, one below contributes `floor` (a constant, no gradient). The batch
  mean of the result is exactly the free-bits term, and so is its gradient.

  Args:
    kl_units: `[B, D]` KL of each example's units (nats).
    floor: lambda, nats per unit; 0 gives the plain KL summed over units.

  Returns:
    `[B]` KL terms to average over the batch.
  """
  if floor <= 0:
    return jnp.sum(kl_units, axis=-1)
  active = jax.lax.stop_gradient(jnp.mean(kl_units, axis=0)) >= floor
  return jnp.sum(jnp.where(active, kl_units, floor), axis=-1)
