"""Pieces every gradient-based train step shares.

A method's `train_step` computes `(loss, metrics), grads` and hands them to
`apply_gradients`, which reduces across devices, skips non-finite updates
and advances the step. Randomness comes from `step_key`; noise that should be
identical however the batch is split over devices is keyed per example with
`ops.distributions.per_example_keys(key, B, example_offset(B, axis_name))`.
"""

from typing import Any

import jax
import jax.numpy as jnp
import optax

from unsup_jax.training.state import TrainState

# Programs that run once per run (parameter initialisation): most of their
# XLA:CPU compile time goes to backend optimisation of one threefry hash per
# parameter (27 s for the two-level VQ-VAE's init; 6 s at level 0), which a
# program run once never earns back.
RUN_ONCE_CPU_OPTIONS = {"xla_backend_optimization_level": 0}


def jit_once(fn):
  """`jax.jit(fn)` for a program run once, such as a method's `init`: on CPU
  compiled without backend optimisation (the values are the same programs'
  to rounding of float ops; random bits are exact)."""
  options = RUN_ONCE_CPU_OPTIONS if jax.default_backend() == "cpu" else None
  return jax.jit(fn, compiler_options=options)


def step_key(state: TrainState) -> jax.Array:
  """The key of this step: fold_in(run key, step). Identical on all devices."""
  return jax.random.fold_in(state.key, state.step)


def example_offset(local_batch_size: int, axis_name: str | None) -> jax.Array:
  """Global index of this device's first example (0 without an axis)."""
  if axis_name is None:
    return jnp.zeros((), jnp.int32)
  return jax.lax.axis_index(axis_name) * local_batch_size


def all_finite(tree: Any) -> jax.Array:
  """True iff every leaf of `tree` is finite."""
  leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)]
  return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def apply_gradients(state: TrainState, grads: Any, metrics: dict,
                    tx: optax.GradientTransformation, *,
                    axis_name: str | None = None,
                    extra: Any = None, part: str | None = None,
                    advance: bool = True) -> tuple[TrainState, dict]:
  """Reduces, checks and applies one update.

  Args:
    state: the state before the step.
    grads: gradients of the mean loss over the local batch.
    metrics: scalar metrics of the local batch; must contain "loss".
    tx: the optimiser.
    axis_name: pmap axis; gradients and metrics are averaged over it.
    extra: new non-gradient state (None keeps `state.extra`). Any cross-device
      reduction of it is the method's job.
    part: update only `state.params[part]` with `state.opt_state[part]`
      (`grads` and `tx` are then that part's): for methods whose networks
      have their own optimisers (a VQ-VAE and its prior; GAN G and D).
    advance: increment the step (False for an update that is followed by
      another one in the same step, e.g. the critic's before the generator's).

  Returns:
    (new state, metrics) with `nonfinite_total` added to the metrics. A
    non-finite loss or gradient leaves params, opt_state and extra unchanged.
  """
  if part is not None:
    return on_part(state, part, lambda sub: apply_gradients(
        sub, grads, metrics, tx, axis_name=axis_name, extra=extra,
        advance=advance))
  if axis_name is not None:
    grads = jax.lax.pmean(grads, axis_name)
    metrics = jax.lax.pmean(metrics, axis_name)
  finite = jnp.isfinite(metrics["loss"]) & all_finite(grads)
  new_extra = state.extra if extra is None else extra

  def update():
    updates, opt_state = tx.update(grads, state.opt_state, state.params)
    return optax.apply_updates(state.params, updates), opt_state, new_extra
  return apply_update(state, finite, update, metrics, advance=advance)


def apply_update(state: TrainState, finite: jax.Array, update, metrics: dict,
                 *, advance: bool = True) -> tuple[TrainState, dict]:
  """Commits one update if `finite`, else skips it and counts it.

  Args:
    state: the state before the step.
    finite: scalar bool, whether the loss and the update are finite.
    update: `() -> (params, opt_state, extra)`, the updated state parts
      (run only when `finite`): `apply_gradients`' optimiser step, or a
      method's own update (word2vec's sparse rows).
    metrics: the step's metrics (already reduced across devices).
    advance: increment the step.

  Returns:
    (new state, metrics with `nonfinite_total`).
  """
  def skip():
    return state.params, state.opt_state, state.extra

  # A branch rather than a select: the skip path costs nothing and XLA does
  # not copy the optimiser state on the normal path.
  params, opt_state, new_extra = jax.lax.cond(finite, update, skip)
  streak = jnp.where(finite, 0, state.nonfinite_streak + 1)
  total = state.nonfinite_total + (~finite).astype(jnp.int32)
  new_state = state.replace(
      step=state.step + 1 if advance else state.step,
      params=params,
      opt_state=opt_state,
      extra=new_extra,
      nonfinite_streak=streak,
      nonfinite_total=total)
  return new_state, dict(metrics, nonfinite_total=total)


def on_part(state: TrainState, part: str, fn) -> tuple[TrainState, dict]:
  """`fn(sub) -> (sub, metrics)` on the state of one network: `sub` holds
  `state.params[part]` and `state.opt_state[part]` (everything
  else as in `state`); its result is merged back. A method whose networks
  train in turn (a pre-trained autoencoder, then the model built on it) runs
  a whole-state step of one network this way."""
  sub = state.replace(params=state.params[part],
                      opt_state=state.opt_state[part])
  sub, metrics = fn(sub)
  return sub.replace(params={**state.params, part: sub.params},
                     opt_state={**state.opt_state, part: sub.opt_state}
                     ), metrics
