"""Sparsity penalties on hidden activations.

The KL penalty of Ng (2011), "Sparse autoencoder", CS294A lecture notes,
Section 2.3: with rho_hat_j the average activation of hidden unit j over the
data (here: the batch), penalise
sum_j KL(Bernoulli(rho) || Bernoulli(rho_hat_j)) so that each unit is active
(close to 1) on a small fraction rho of inputs.
Lee, Ekanadham & Ng (2008), "Sparse deep belief net model for visual area
V2", NIPS, regularise average activations the same way. The L1 and L2
penalties act on every activation instead of on the averages.
"""

import jax
import jax.numpy as jnp

KINDS = ("none", "l1", "l2", "kl")
# Clip rho_hat into [EPS, 1 - EPS] so the KL stays finite at 0 and 1.
EPS = 1e-6


def l1_penalty(activations: jax.Array) -> jax.Array:
  """Mean over the batch of sum_j |a_j|. `[B, H]` -> scalar."""
  return jnp.mean(jnp.sum(jnp.abs(activations), axis=-1))


def l2_penalty(activations: jax.Array) -> jax.Array:
  """Mean over the batch of sum_j a_j^2. `[B, H]` -> scalar."""
  return jnp.mean(jnp.sum(jnp.square(activations), axis=-1))


def mean_activations(activations: jax.Array,
                     axis_name: str | None = None) -> jax.Array:
  """Average activation of every unit over the batch: `[B, H]` -> `[H]`.

  Under pmap (`axis_name` given) the value is the mean over the global batch
  (equal local batch sizes), while the gradient flows only through the local
  examples; after the engine averages gradients across devices that is
  exactly the gradient of the single-device computation.
  """
  local = jnp.mean(activations, axis=0)
  if axis_name is None:
    return local
  return local + jax.lax.stop_gradient(jax.lax.pmean(local, axis_name) - local)


def bernoulli_kl(target: float, rho_hat: jax.Array) -> jax.Array:
  """KL(Bernoulli(target) || Bernoulli(rho_hat)) elementwise, rho_hat clipped.

  Args:
    target: rho in (0, 1).
    rho_hat: `[H]` average activations.

  Returns:
    `[H]` non-negative divergences, zero where rho_hat == target.
  """
  rho_hat = jnp.clip(rho_hat, EPS, 1.0 - EPS)
  return (target * (jnp.log(target) - jnp.log(rho_hat)) +
          (1.0 - target) * (jnp.log1p(-target) - jnp.log1p(-rho_hat)))


def kl_sparsity(activations: jax.Array, *, target: float,
                axis_name: str | None = None) -> jax.Array:
  """sum_j KL(Bernoulli(target) || Bernoulli(rho_hat_j)) (Ng 2011, eq. 2.3).

  Args:
    activations: `[B, H]` activations in (0, 1) (e.g. sigmoid units).
    target: the sparsity target rho in (0, 1).
    axis_name: pmap axis; rho_hat is then the global-batch average.

  Returns:
    Scalar, >= 0.
  """
  return jnp.sum(bernoulli_kl(target, mean_activations(activations, axis_name)))


def activity_stats(activations: jax.Array, *, threshold: float,
                   axis_name: str | None = None) -> dict:
  """`mean_activation` and `active_fraction` of `[B, H]` activations.

  `mean_activation` is the mean of |a| over examples and units (the mean
  activation for non-negative units). `active_fraction` is the fraction of
  the H units whose batch-average |a| is strictly above `threshold` (e.g. 0.1
  for sigmoid units; 0 for ReLU units, i.e. the fraction of units that are
  not dead on this batch).
  """
  per_unit = jax.lax.stop_gradient(
      mean_activations(jnp.abs(activations), axis_name))
  return {"mean_activation": jnp.mean(per_unit),
          "active_fraction": jnp.mean((per_unit > threshold).astype(
              jnp.float32))}


def sparsity_penalty(activations: jax.Array, *, kind: str, weight: float,
                     target: float = 0.05, threshold: float = 0.1,
                     axis_name: str | None = None) -> tuple[jax.Array, dict]:
  """The weighted sparsity term of the loss and its metrics.

  Args:
    activations: `[B, H]` hidden (code) activations.
    kind: "none", "l1", "l2" or "kl" (activations in (0, 1) for "kl").
    weight: multiplier of the penalty in the loss.
    target: rho of the KL penalty.
    threshold: activity threshold of `active_fraction` (see `activity_stats`).
    axis_name: pmap axis (batch statistics over the global batch).

  Returns:
    (weight * penalty, {"loss_sparsity": unweighted penalty,
    "mean_activation", "active_fraction"}).
  """
  if kind == "none":
    penalty = jnp.zeros((), activations.dtype)
  elif kind == "l1":
    penalty = l1_penalty(activations)
  elif kind == "l2":
    penalty = l2_penalty(activations)
  elif kind == "kl":
    penalty = kl_sparsity(activations, target=target, axis_name=axis_name)
  else:
    raise ValueError(f"unknown sparsity penalty {kind!r}; use {KINDS}")
  metrics = {"loss_sparsity": penalty}
  metrics.update(activity_stats(activations, threshold=threshold,
                                axis_name=axis_name))
  return weight * penalty, metrics
