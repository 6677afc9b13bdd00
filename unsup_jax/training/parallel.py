"""Compiling a train step for one device (jit) or all devices (pmap).

The step itself never changes: under pmap it receives `axis_name` and its
gradients and metrics are averaged with `lax.pmean`. In a multi-process run
(`jax.distributed`) the pmap axis spans every device of every process, so the
same code reduces across hosts; each process feeds its own local shard.
"""

import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.errors import UserError

AXIS = "devices"
MODES = ("auto", "jit", "pmap")


def choose_mode(requested: str) -> str:
  """Resolves "auto" to "pmap" when there is more than one device in total."""
  if requested not in MODES:
    raise UserError(f"unknown parallel mode {requested!r}; choose one of "
                    f"{', '.join(MODES)}")
  if requested == "auto":
    return "pmap" if jax.device_count() > 1 else "jit"
  if requested == "jit" and jax.process_count() > 1:
    raise UserError("parallel mode 'jit' runs on one device; a multi-process "
                    "run needs 'pmap' or 'auto'")
  return requested


def check_batch_size(global_batch_size: int, mode: str) -> None:
  """The global batch must split evenly over every device."""
  n = jax.device_count() if mode == "pmap" else 1
  if global_batch_size % n:
    raise UserError(f"global batch size {global_batch_size} is not divisible "
                    f"by the device count {n}")


def compile_step(train_step: Callable, mode: str) -> Callable:
  """`(state, batch) -> (state, metrics)` compiled for `mode`.

  The input state is donated: do not reuse it after the call.
  """
  if mode == "jit":
    return jax.jit(train_step, donate_argnums=0)
  return jax.pmap(functools.partial(train_step, axis_name=AXIS),
                  axis_name=AXIS, donate_argnums=0)


def replicate(tree: Any) -> Any:
  """Copies a pytree to every local device along a new leading axis."""
  n = jax.local_device_count()
  return jax.tree.map(lambda x: jnp.broadcast_to(x, (n,) + x.shape), tree)


def unreplicate(tree: Any) -> Any:
  """The copy held by the first local device."""
  return jax.tree.map(lambda x: x[0], tree)


def shard(batch: dict) -> dict:
  """`[B_local, ...]` -> `[local_devices, B_local / local_devices, ...]`."""
  n = jax.local_device_count()
  return jax.tree.map(
      lambda x: np.reshape(x, (n, x.shape[0] // n) + x.shape[1:]), batch)


class Engine:
  """Holds the mode and moves states and batches in and out of it."""

  def __init__(self, train_step: Callable, mode: str):
    self.mode = mode
    self.step = compile_step(train_step, mode)

  def put_state(self, state: Any) -> Any:
    return replicate(state) if self.mode == "pmap" else jax.device_put(state)

  def get_state(self, state: Any) -> Any:
    """A single, host-side copy of the (replicated) state."""
    state = unreplicate(state) if self.mode == "pmap" else state
    return jax.device_get(state)

  def put_batch(self, batch: dict) -> dict:
    return shard(batch) if self.mode == "pmap" else batch

  def get_metrics(self, metrics: dict) -> dict:
    """Host floats (identical on every device after pmean)."""
    if self.mode == "pmap":
      metrics = unreplicate(metrics)
    return {k: float(v) for k, v in jax.device_get(metrics).items()}


def device_state(state: Any) -> Any:
  """Makes sure every leaf is a jax array (host numpy leaves are copied)."""
  return jax.tree.map(jnp.asarray, state)
