"""Orbax checkpoints of the whole run: state, data position and a fingerprint.

Each checkpoint is written atomically by orbax (to a temporary directory that
is renamed when complete) and only the last `keep` are kept. Beside the state
it stores a JSON record of the run's progress (the data streams' positions,
the whole-data hooks that have run) and a fingerprint of the model (method,
model config, parameter shapes), so that a workdir written by another model
is refused with a clear message rather than loaded wrongly.
"""

import json
import os
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp

from unsup_jax.errors import UserError
from unsup_jax.training.state import TrainState


def _to_savable(state: TrainState) -> TrainState:
  """Host numpy copy with the typed key stored as its raw key data."""
  state = state.replace(key=jax.random.key_data(state.key))
  return jax.tree.map(np.asarray, jax.device_get(state))


def _from_saved(saved: TrainState, template: TrainState) -> TrainState:
  impl = jax.random.key_impl(template.key)
  return saved.replace(key=jax.random.wrap_key_data(
      np.asarray(saved.key), impl=impl))


def shapes_of(tree: Any) -> dict:
  """`{path: [shape..., dtype]}` of every leaf: part of the fingerprint."""
  flat, _ = jax.tree_util.tree_flatten_with_path(tree)
  return {jax.tree_util.keystr(p): [*map(int, np.shape(x)),
                                    str(np.asarray(x).dtype)]
          for p, x in flat}


class Checkpointer:
  """Saves and restores `TrainState`s under `directory`.

  Args:
    directory: where checkpoints go (`workdir/checkpoints`).
    keep: how many of the most recent checkpoints to keep.
    fingerprint: JSON-serialisable description of the model; a checkpoint
      whose fingerprint differs is refused.
  """

  def __init__(self, directory: str, *, keep: int, fingerprint: dict):
    self.directory = os.path.abspath(directory)
    self.fingerprint = json.loads(json.dumps(fingerprint))
    # A write killed midway leaves an orbax temporary directory, which is
    # never a checkpoint: it is removed when the next run opens the folder.
    options = ocp.CheckpointManagerOptions(
        max_to_keep=keep, create=True, enable_async_checkpointing=False,
        cleanup_tmp_directories=True)
    self._manager = ocp.CheckpointManager(
        self.directory, options=options,
        item_names=("state", "meta"))

  def latest_step(self) -> int | None:
    return self._manager.latest_step()

  def save(self, state: TrainState, progress: dict, *,
           replace: bool = False) -> int:
    """Writes a checkpoint at the state's step.

    Args:
      state: the (host) state.
      progress: JSON-serialisable record of the run's progress.
      replace: rewrite a checkpoint of that step if there is one (else that
        is a no-op): after a whole-data hook, whose result has the step of
        the checkpoint before it.

    Returns:
      The step.
    """
    host = _to_savable(state)
    step = int(host.step)
    if step in self._manager.all_steps():
      if not replace:
        return step
      self._manager.delete(step)
    meta = dict(progress, fingerprint=self.fingerprint, step=step)
    try:
      self._manager.save(step, args=ocp.args.Composite(
          state=ocp.args.StandardSave(host),
          meta=ocp.args.JsonSave(meta)), force=True)
      self._manager.wait_until_finished()
    except Exception as e:  # pylint: disable=broad-except
      cause = e if isinstance(e, OSError) else e.__cause__ or e
      first_line = (str(cause).splitlines() or [""])[0]
      reason = (getattr(cause, "strerror", None) or
                f"{type(cause).__name__}: {first_line}")
      raise UserError(f"cannot write checkpoint {step} in {self.directory} "
                      f"({reason}); the earlier checkpoints are kept") from e
    return step

  def restore(self, template: TrainState) -> tuple[TrainState, dict]:
    """Restores the latest checkpoint into the structure of `template`;
    returns it with its progress record.

    Raises:
      UserError: the checkpoint is unreadable or from a different model.
    """
    step = self.latest_step()
    where = os.path.join(self.directory, str(step))
    try:
      meta = self._manager.restore(step, args=ocp.args.Composite(
          meta=ocp.args.JsonRestore()))["meta"]
    except Exception as e:  # pylint: disable=broad-except
      raise UserError(f"checkpoint {where} is corrupt or unreadable "
                      f"({type(e).__name__}); move it away to start over or "
                      f"restart from an older one") from e
    if meta.get("fingerprint") != self.fingerprint:
      diff = _first_difference(meta.get("fingerprint"), self.fingerprint)
      raise UserError(f"checkpoint {where} was written by a different model "
                      f"({diff}); use a new --workdir")
    abstract = _to_savable(template)
    try:
      restored = self._manager.restore(step, args=ocp.args.Composite(
          state=ocp.args.StandardRestore(abstract)))["state"]
    except Exception as e:  # pylint: disable=broad-except
      raise UserError(f"checkpoint {where} is corrupt or unreadable "
                      f"({type(e).__name__}); move it away to start over or "
                      f"restart from an older one") from e
    return _from_saved(restored, template), meta

  def close(self) -> None:
    self._manager.close()


def _first_difference(old: Any, new: Any, path: str = "") -> str:
  """A short description of where two fingerprints differ."""
  if isinstance(old, dict) and isinstance(new, dict):
    for k in sorted(set(old) | set(new)):
      if old.get(k) != new.get(k):
        return _first_difference(old.get(k), new.get(k), f"{path}.{k}"
                                 if path else str(k))
  return f"{path or 'fingerprint'}: {old!r} in the checkpoint, {new!r} now"
