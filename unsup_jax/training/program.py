"""The compiled program the loop runs for one phase: transform, step, tally.

One call `(state, tally, batch) -> (state, tally)` applies the data's
per-step transform (dynamic binarisation, corruption; `data/transforms.py`)
to every stream of the batch, runs the phase's step and adds its metrics to
a running tally kept on the devices: sums of every metric, the number of
steps, and the longest run of skipped (non-finite) updates seen. Nothing
comes back to the host until the loop reads the tally at a log step, so
steps are dispatched back to back without waiting. With `steps_per_call = k`
one call runs k steps in a `lax.scan` over `[k, B, ...]` stacked batches.
"""

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.training import parallel, step as step_lib

# Metrics the tally does not average: the loop reads them from the state.
NOT_AVERAGED = ("nonfinite_total",)


def _offset(batch: dict, axis_name: str | None) -> jax.Array:
  size = jax.tree.leaves(batch)[0].shape[0]
  return step_lib.example_offset(size, axis_name)


def with_transform(step: Callable, streams, transform, stream_index: dict
                   ) -> Callable:
  """`step` preceded by `transform` on each of its streams' batches."""
  if transform is None:
    return step

  def transformed(state, batch, *, axis_name=None):
    if isinstance(streams, str):
      batch = transform(stream_index[streams], batch, state.step,
                        _offset(batch, axis_name))
    else:
      batch = {name: transform(stream_index[name], batch[name], state.step,
                               _offset(batch[name], axis_name))
               for name in streams}
    return step(state, batch, axis_name=axis_name)
  return transformed


def empty_tally(step: Callable, state: Any, batch: Any) -> dict:
  """Zeros shaped like the tally of `step`'s metrics (host numpy, so that
  placing them makes new device buffers every time)."""
  _, metrics = jax.eval_shape(step, state, batch)
  return {"sums": {k: np.zeros((), np.float32) for k in metrics
                   if k not in NOT_AVERAGED},
          "count": np.zeros((), np.int32),
          "max_streak": np.zeros((), np.int32)}


def _add(tally: dict, metrics: dict, state: Any) -> dict:
  return {"sums": {k: v + metrics[k].astype(jnp.float32)
                   for k, v in tally["sums"].items()},
          "count": tally["count"] + 1,
          "max_streak": jnp.maximum(tally["max_streak"],
                                    state.nonfinite_streak)}


def one_step(step: Callable) -> Callable:
  """`(state, tally, batch, *, axis_name) -> (state, tally)`."""
  def program(state, tally, batch, *, axis_name=None):
    state, metrics = step(state, batch, axis_name=axis_name)
    return state, _add(tally, metrics, state)
  return program


def scanned_steps(step: Callable) -> Callable:
  """The same over `[k, ...]` stacked batches, k steps in one `lax.scan`."""
  single = one_step(step)

  def program(state, tally, batches, *, axis_name=None):
    def body(carry, batch):
      return single(*carry, batch, axis_name=axis_name), None
    (state, tally), _ = jax.lax.scan(body, (state, tally), batches)
    return state, tally
  return program


class PhaseProgram:
  """The compiled calls of one phase in one placement.

  Attributes:
    single: one step per call.
    multi: `steps_per_call` steps per call (None when that is 1).
  """

  def __init__(self, step: Callable, placement: parallel.Placement, *,
               host_state: Any, host_batch: Any, steps_per_call: int = 1):
    self.placement = placement
    self.steps_per_call = steps_per_call
    self.single = placement.compile(one_step(step), num_state_args=2)
    self.multi = (placement.compile(scanned_steps(step), num_state_args=2,
                                    stacked=True)
                  if steps_per_call > 1 else None)
    self._zero = empty_tally(step, host_state, host_batch)

  def new_tally(self) -> Any:
    """A zero tally placed beside the state."""
    return self.placement.put_state(self._zero)

  def read_tally(self, tally: Any) -> tuple[dict, int, int]:
    """(mean metrics, steps counted, longest skipped run) on the host."""
    host = self.placement.get(tally)
    count = int(host["count"])
    means = {k: float(v) / max(count, 1) for k, v in host["sums"].items()}
    return means, count, int(host["max_streak"])
