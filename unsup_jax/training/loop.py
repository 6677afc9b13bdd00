"""The training loop: one for every kind of method.

`train(config, method, data, workdir)` runs a method's phases in order
(`training/contract.py`): per-batch step phases through their compiled
programs (`training/program.py`), whole-data hooks on the host. It resumes
from the latest checkpoint in `workdir`, saves one on SIGTERM/SIGINT, skips
non-finite updates (stopping at the first log step after
`train.max_nonfinite` skipped in a row), logs every `train.log_every`
steps, runs the quick evaluation every `train.eval_every` steps and
checkpoints every `train.checkpoint_every` steps and after every hook.

Speed: metrics stay on the devices until a log step (the tally of
`program.py`), the next batch is gathered and sent while the current step
runs, and with `train.steps_per_call = k` k steps go in one call. Between
log steps the host only dispatches.

Where each stream stands is a function of the step (`training/schedule.py`):
a phase consumes one batch of each of its streams per step, so a stream's
position is the number of steps taken so far by the phases that draw it. The
checkpoint records it beside the state.
"""

import contextlib
import dataclasses
import os
import signal
import time
from typing import Any

import jax
import ml_collections
import numpy as np
import tqdm

from unsup_jax.errors import Diverged, Interrupted, UserError
from unsup_jax.training import checkpoint, parallel, program
from unsup_jax.training.schedule import (Feeder, Item, next_stop,
                                         positions_at, schedule, stream_names)
from unsup_jax.training.contract import Method
from unsup_jax.training.logging import MetricsLogger

# Keys of hook `i` at step `s`: fold_in(fold_in(fold_in(key(seed),
# HOOK_STREAM), i), s).
HOOK_STREAM = 0x400C
# Metrics logged under their own name in every phase.
_UNPREFIXED = ("nonfinite_total", "steps_per_sec")


@dataclasses.dataclass
class Budget:
  """Steps this call may still take (tests of interruption): behaves as if
  SIGTERM arrived once they are spent; shared by a study's sub-runs."""
  steps: int | None = None

  def spend(self, n: int) -> None:
    if self.steps is not None:
      self.steps -= n


@dataclasses.dataclass
class Trained:
  """What `train` returns: the final host state and this call's training
  time (seconds, hooks included, quick evaluations excluded)."""
  state: Any
  seconds: float


def prepare_workdir(workdir: str) -> None:
  if os.path.exists(workdir) and not os.path.isdir(workdir):
    raise UserError(f"--workdir {workdir} exists and is not a directory")
  parent = os.path.dirname(os.path.abspath(workdir))
  if os.path.exists(parent) and not os.path.isdir(parent):
    raise UserError(f"--workdir {workdir}: {parent} is not a directory")
  os.makedirs(workdir, exist_ok=True)


@contextlib.contextmanager
def stop_on_signals(flag: dict):
  """Records SIGTERM/SIGINT in `flag` instead of dying mid-step."""
  def handler(signum, _):
    flag["signum"] = signum
  previous = {}
  try:
    for sig in (signal.SIGTERM, signal.SIGINT):
      previous[sig] = signal.signal(sig, handler)
  except ValueError:  # not the main thread: leave signals alone
    pass
  try:
    yield
  finally:
    for sig, h in previous.items():
      signal.signal(sig, h)


class _Run:
  """One `train` call: its placement, streams, checkpoints and state."""

  def __init__(self, config, method, data, workdir, budget=None):
    self.config, self.method, self.data = config, method, data
    self.budget = budget or Budget()
    t = config.train
    self.placement = parallel.Placement(parallel.choose_mode(t.parallel))
    self.items = schedule(method)
    self.total = self.items[-1].end if self.items else 0
    used = list(dict.fromkeys(
        [n for it in self.items if it.phase
         for n in stream_names(it.phase.streams)] or ["train"]))
    for name in used:
      if name not in data.streams:
        raise UserError(f"the method draws stream {name!r}, which is not "
                        f"defined; add config.data.streams.{name}")
      parallel.check_batch_size(data.streams[name].batch_size,
                                self.placement.mode, name)
    self.primary = jax.process_index() == 0
    self.iterators = {n: data.iterator(n, process_index=jax.process_index(),
                                       process_count=jax.process_count())
                      for n in used}
    self.stream_index = {n: data.stream_index(n) for n in data.streams}
    first = next((i for i, it in enumerate(self.items) if it.phase), None)
    self.first_phase = first
    seed_key = jax.random.key(config.seed)
    init_key, self.eval_key = jax.random.split(seed_key)
    self.hook_key = jax.random.fold_in(seed_key, HOOK_STREAM)
    state = method.init(init_key, self._first_batch())
    fingerprint = dict(method.fingerprint,
                       params=checkpoint.shapes_of(state.params))
    prepare_workdir(workdir)
    self.ckpt = checkpoint.Checkpointer(
        os.path.join(workdir, "checkpoints"), keep=t.keep_checkpoints,
        fingerprint=fingerprint)
    self.hooks_done = []
    self.resumed = self.ckpt.latest_step() is not None
    if self.resumed:
      state, meta = self.ckpt.restore(state)
      self.hooks_done = list(meta.get("hooks_done", []))
    self.state = state
    self.hook_steps = {it.start for it in self.items if it.hook}

  def _first_batch(self):
    """The first batch of the first step phase, transformed as its step
    sees it (what `init` is given)."""
    streams = next((it.phase.streams for it in self.items if it.phase),
                   "train")
    batches = {n: self.iterators[n].batch_at(0)
               for n in stream_names(streams)}
    if self.data.transform is not None:
      batches = jax.tree.map(np.asarray, {
          n: self.data.transform(self.stream_index[n], b, 0, 0)
          for n, b in batches.items()})
    return batches[streams] if isinstance(streams, str) else batches

  def save(self, dstate, *, replace: bool = False) -> None:
    host = self.placement.get(dstate)
    step = int(host.step)
    self.ckpt.save(host, {"data": {"positions": positions_at(self.items,
                                                             step)},
                          "hooks_done": list(self.hooks_done)},
                   replace=replace)

  def hook_pending(self, step: int) -> bool:
    """A hook not yet run stands at `step` (its checkpoint comes after it)."""
    return step in self.hook_steps and any(
        it.hook and it.start == step and it.hook.name not in self.hooks_done
        for it in self.items)

  def run_hook(self, fn, dstate, item: Item, step: int):
    key = jax.random.fold_in(jax.random.fold_in(self.hook_key, item.index),
                             step)
    return self.placement.put_state(fn(self.placement.get(dstate),
                                       self.data.view, key))

  def prefix(self, item: Item, record: dict) -> dict:
    if self.first_phase is None or item.index <= self.items[
        self.first_phase].index:
      return record
    name = item.phase.name
    return {(k if k in _UNPREFIXED else f"{name}_{k}"): v
            for k, v in record.items()}


def train(config: ml_collections.ConfigDict, method: Method, data,
          workdir: str, *, progress: bool = True, budget: Budget | None = None,
          desc: str | None = None, evaluate=None) -> Trained:
  """Runs (or resumes) a method's phases in `workdir`.

  Args:
    config: the run's config (`train`, `data` and `seed` are read here).
    method: the built method.
    data: its `data.streams.Data`.
    workdir: run directory: checkpoints, `metrics.jsonl`, `tensorboard/`.
    progress: show a progress bar.
    budget: steps this call may take before behaving as if interrupted.
    desc: the progress bar's label (a study's sub-run).
    evaluate: the quick evaluation `(state, key) -> metrics` run every
      `train.eval_every` steps (None: none).

  Returns:
    The final host state and this call's training time.

  Raises:
    UserError: bad streams, workdir or checkpoint.
    Interrupted: a signal (or the budget) stopped training; a checkpoint
      was saved.
    Diverged: `train.max_nonfinite` non-finite updates in a row.
  """
  run = _Run(config, method, data, workdir, budget)
  t, placement = config.train, run.placement
  step = start = int(run.state.step)
  logger = MetricsLogger(workdir, enabled=run.primary,
                         resume_step=start if run.resumed else None)
  flag, paused = {}, 0.0
  dstate = placement.put_state(run.state)
  clock = time.perf_counter()
  try:
    with stop_on_signals(flag), tqdm.tqdm(
        total=run.total, initial=start, desc=desc,
        disable=not (progress and run.primary), unit="step",
        dynamic_ncols=True, mininterval=1.0, leave=desc is None) as bar:
      for item in run.items:
        if item.hook is not None:
          if item.hook.name not in run.hooks_done and step == item.start:
            dstate = run.run_hook(item.hook.fn, dstate, item, step)
            run.hooks_done.append(item.hook.name)
            run.save(dstate, replace=True)
          continue
        if step >= item.end:
          continue
        p = item.phase
        feeder = Feeder(run.iterators, p.streams, placement)
        positions = positions_at(run.items, step)
        prog = program.PhaseProgram(
            program.with_transform(p.step, p.streams, data.transform,
                                   run.stream_index),
            placement, host_state=placement.get(dstate),
            host_batch=feeder.host_batch(positions),
            steps_per_call=t.steps_per_call)
        tally = prog.new_tally()
        window = (step, time.perf_counter())
        while step < item.end:
          if run.budget.steps is not None and run.budget.steps <= 0:
            flag.setdefault("signum", signal.SIGTERM)
          if "signum" in flag:
            run.save(dstate)
            raise Interrupted(step, flag["signum"], run.ckpt.directory)
          if p.hook is not None and p.every and (
              step - item.start) % p.every == 0:
            dstate = run.run_hook(p.hook, dstate, item, step)
          stop = next_stop(config, step, item, run.total, run.budget)
          n = t.steps_per_call if stop - step >= t.steps_per_call > 1 else 1
          dstate, tally = (prog.multi if n > 1 else prog.single)(
              dstate, tally, feeder.batches(positions, n))
          step += n
          for name in stream_names(p.streams):
            positions[name] += n
          bar.update(n)
          if step % t.log_every == 0 or step == item.end:
            means, _, streak = prog.read_tally(tally)
            rate = (step - window[0]) / max(time.perf_counter() - window[1],
                                            1e-9)
            record = dict(means, steps_per_sec=rate, nonfinite_total=int(
                placement.get(dstate.nonfinite_total)))
            logger.write(step, run.prefix(item, record))
            if "loss" in means:
              bar.set_postfix(loss=f"{means['loss']:.4g}",
                              **({"phase": p.name} if len(run.items) > 1
                                 else {}))
            if streak >= t.max_nonfinite:
              run.save(dstate)
              raise Diverged(
                  f"training stopped at step {step}: {streak} non-finite "
                  f"losses or gradients in a row (updates skipped); lower "
                  f"config.optim.learning_rate or set "
                  f"config.optim.grad_clip_norm")
            tally = prog.new_tally()
            window = (step, time.perf_counter())
          if (evaluate is not None and t.eval_every and
              step % t.eval_every == 0 and step < run.total):
            began = time.perf_counter()
            quick = evaluate(placement.get(dstate),
                             jax.random.fold_in(run.eval_key, step))
            logger.write(step, {f"eval_{k}": v for k, v in quick.items()})
            idle = time.perf_counter() - began
            paused += idle
            window = (window[0], window[1] + idle)
          if ((step % t.checkpoint_every == 0 or step == run.total) and
              not run.hook_pending(step)):
            run.save(dstate)
          run.budget.spend(n)
    seconds = time.perf_counter() - clock - paused
    run.save(dstate)
    final = placement.get(dstate)
  finally:
    logger.close()
    run.ckpt.close()
  return Trained(final, seconds)


def restore(config: ml_collections.ConfigDict, method: Method, data,
            workdir: str) -> Any:
  """The latest checkpointed state of the run in `workdir` (host pytree).

  Raises:
    UserError: there is no checkpoint there, or it is of another model.
  """
  if not os.path.isdir(os.path.join(workdir, "checkpoints")):
    raise UserError(f"no checkpoints in {workdir}")
  run = _Run(config, method, data, workdir)
  run.ckpt.close()
  if not run.resumed:
    raise UserError(f"no checkpoints in {workdir}")
  return run.state
