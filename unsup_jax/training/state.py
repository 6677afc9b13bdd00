"""The training state: one pytree holding everything a step reads or writes."""

from typing import Any

import flax.struct
import jax
import jax.numpy as jnp
import optax


@flax.struct.dataclass
class TrainState:
  """Parameters, optimiser state and bookkeeping of one run.

  Attributes:
    step: int32 scalar, number of steps taken (skipped ones included).
    params: parameter pytree.
    opt_state: optax state.
    key: typed PRNG key of the run; each step derives its own with
      `fold_in(key, step)` so the key itself never changes.
    extra: non-gradient state of a method (EMA codebooks, centres...).
    nonfinite_streak: int32, consecutive skipped (non-finite) updates.
    nonfinite_total: int32, skipped updates in the whole run.
  """
  step: jax.Array
  params: Any
  opt_state: Any
  key: jax.Array
  extra: Any = ()
  nonfinite_streak: jax.Array = flax.struct.field(
      default_factory=lambda: jnp.zeros((), jnp.int32))
  nonfinite_total: jax.Array = flax.struct.field(
      default_factory=lambda: jnp.zeros((), jnp.int32))


def create(key: jax.Array, params: Any, tx: optax.GradientTransformation,
           extra: Any = ()) -> TrainState:
  """A fresh state at step 0."""
  return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                    opt_state=tx.init(params), key=key, extra=extra)
