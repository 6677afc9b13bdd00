"""Compiling a step for one device (jit), all devices (pmap) or a device mesh.

The step function never changes:

* "jit": `jax.jit` on one device;
* "pmap": `jax.pmap` over every device; the step receives `axis_name` and
  averages its gradients and metrics with `lax.pmean`. In a multi-process
  run (`jax.distributed`) the axis spans every device of every process and
  each process feeds its own local shard;
* "mesh": `jax.jit` over a one-axis `Mesh` of every device with
  `NamedSharding`s (the recommended form since pmap went into maintenance):
  the state replicated, every batch sharded along its example axis. The
  step sees the global batch with `axis_name=None`, exactly as under "jit",
  and XLA inserts the cross-device reductions.

Noise keyed per example by its global index (`step.example_offset`) makes
the three modes draw the same numbers.
"""

import functools
from typing import Any, Callable

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from unsup_jax.errors import UserError

AXIS = "devices"        # the pmap axis
MESH_AXIS = "data"      # the mesh axis batches are sharded over
MODES = ("auto", "jit", "pmap", "mesh")


def choose_mode(requested: str) -> str:
  """Resolves "auto" to "pmap" when there is more than one device in total."""
  if requested not in MODES:
    raise UserError(f"unknown parallel mode {requested!r}; choose one of "
                    f"{', '.join(MODES)}")
  if requested == "auto":
    return "pmap" if jax.device_count() > 1 else "jit"
  if requested == "jit" and jax.process_count() > 1:
    raise UserError("parallel mode 'jit' runs on one device; a multi-process "
                    "run needs 'pmap', 'mesh' or 'auto'")
  return requested


def num_shards(mode: str) -> int:
  """How many devices share a global batch in `mode`."""
  return 1 if mode == "jit" else jax.device_count()


def check_batch_size(global_batch_size: int, mode: str,
                     stream: str = "train") -> None:
  """A stream's global batch must split evenly over every device."""
  n = num_shards(mode)
  if global_batch_size % n:
    where = "" if stream == "train" else f" of stream {stream!r}"
    raise UserError(f"global batch size {global_batch_size}{where} is not "
                    f"divisible by the device count {n}")


def _is_key(x) -> bool:
  return hasattr(x, "dtype") and jax.dtypes.issubdtype(x.dtype,
                                                       jax.dtypes.prng_key)


def _keys_by_data(move: Callable) -> Callable:
  """`move(..., x)` for array leaves made to move typed keys too: their raw
  data is moved and wrapped back into keys of the same implementation."""
  @functools.wraps(move)
  def moved(*args):
    *rest, x = args
    if _is_key(x):
      return jax.random.wrap_key_data(
          moved(*rest, jax.random.key_data(x)), impl=jax.random.key_impl(x))
    return move(*rest, x)
  return moved


@_keys_by_data
def _to_host(x):
  """A host numpy copy of one (possibly replicated, possibly multi-process)
  array leaf; typed keys stay typed keys."""
  if isinstance(x, jax.Array) and not x.is_fully_addressable:
    x = x.addressable_data(0)
  return np.asarray(jax.device_get(x))


@_keys_by_data
def _first_row(x):
  """The host copy of the first device's row of a pmap-placed leaf (read
  from that device's buffer alone)."""
  if isinstance(x, jax.Array):
    return np.asarray(jax.device_get(x.addressable_data(0)))[0]
  return np.asarray(x)[0]


class Placement:
  """Moves states, batches and metrics into and out of one mode."""

  def __init__(self, mode: str):
    if mode not in MODES[1:]:
      raise ValueError(f"mode must be one of {MODES[1:]}, got {mode!r}")
    self.mode = mode
    self.axis_name = AXIS if mode == "pmap" else None
    if mode == "pmap":  # how pmap lays out its outputs: one row per device
      self.rows = NamedSharding(
          Mesh(np.asarray(jax.local_devices()), (AXIS,)), P(AXIS))
    if mode == "mesh":
      self.mesh = Mesh(np.asarray(jax.devices()), (MESH_AXIS,))
      self.replicated = NamedSharding(self.mesh, P())

  def batch_sharding(self, stacked: bool = False) -> NamedSharding:
    """Examples (axis 0, or 1 for `[k, B, ...]` stacks) over the mesh."""
    return NamedSharding(self.mesh, P(None, MESH_AXIS) if stacked
                         else P(MESH_AXIS))

  # -- in ---------------------------------------------------------------

  def put_state(self, state: Any) -> Any:
    """A host (or device) state, placed for this mode (always new buffers:
    a compiled step donates them, and the caller's arrays stay valid)."""
    if self.mode == "jit":
      return jax.tree.map(
          lambda x: x.copy() if isinstance(x, jax.Array) else
          jax.device_put(x), state)
    if self.mode == "pmap":
      return jax.tree.map(self._rows, state)
    return jax.tree.map(self._replicate, state)

  @_keys_by_data
  def _rows(self, x):
    """One copy of `x` per local device, laid out as pmap lays out its
    outputs, so that the first call compiles the program the later ones
    use and nothing is resliced on the devices."""
    x = np.asarray(jax.device_get(x))
    return jax.device_put(
        np.broadcast_to(x, (jax.local_device_count(),) + x.shape), self.rows)

  def _replicate(self, x):
    if jax.process_count() == 1:
      return jax.device_put(x, self.replicated)
    return self._replicate_across_processes(x)

  @_keys_by_data
  def _replicate_across_processes(self, x):
    x = np.asarray(x)
    return jax.make_array_from_callback(x.shape, self.replicated,
                                        lambda index: x[index])

  def put_batch(self, batch: Any, *, stacked: bool = False) -> Any:
    """This process's numpy batch `[B_local, ...]` (or `[k, B_local, ...]`
    when `stacked`), as the compiled step takes it: under "jit" the numpy
    arrays themselves, which the compiled call copies to the device in its
    C++ dispatch (a third of the host time of a separate `device_put`: on a
    2-core machine that time is taken from the step's own threads)."""
    if self.mode == "jit":
      return batch
    if self.mode == "pmap":
      n = jax.local_device_count()
      if stacked:  # [k, B, ...] -> [n, k, B / n, ...]
        split = lambda x: np.swapaxes(np.reshape(
            x, (x.shape[0], n, x.shape[1] // n) + x.shape[2:]), 0, 1)
      else:
        split = lambda x: np.reshape(x, (n, x.shape[0] // n) + x.shape[1:])
      return jax.tree.map(split, batch)
    sharding = self.batch_sharding(stacked)
    return jax.tree.map(
        lambda x: jax.make_array_from_process_local_data(sharding, x), batch)

  # -- out --------------------------------------------------------------

  def get(self, tree: Any) -> Any:
    """One host copy of a placed tree (replicas are identical)."""
    if self.mode == "pmap":
      return jax.tree.map(_first_row, tree)
    return jax.tree.map(_to_host, tree)

  # -- compiling --------------------------------------------------------

  def compile(self, fn: Callable, *, num_state_args: int = 1,
              stacked: bool = False) -> Callable:
    """`fn(*state_args, batch, *, axis_name)` compiled for this mode, the
    state arguments donated (do not reuse them after a call) and returned
    as they came in, the batch last."""
    donate = tuple(range(num_state_args))
    if self.mode == "jit":
      return jax.jit(functools.partial(fn, axis_name=None),
                     donate_argnums=donate)
    if self.mode == "pmap":
      return jax.pmap(functools.partial(fn, axis_name=AXIS), axis_name=AXIS,
                      donate_argnums=donate)
    states = (self.replicated,) * num_state_args
    return jax.jit(functools.partial(fn, axis_name=None),
                   in_shardings=states + (self.batch_sharding(stacked),),
                   out_shardings=self.replicated, donate_argnums=donate)
