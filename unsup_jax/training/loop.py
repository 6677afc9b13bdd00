"""The training loop: data -> compiled steps -> checkpoints, logs, report.

`run(config, workdir)` is what `launch.py` calls. It validates everything
before writing anything, resumes from the latest checkpoint in the workdir,
saves a checkpoint on SIGTERM/SIGINT, skips non-finite updates (stopping
after `train.max_nonfinite` in a row), and ends with `results.json`, figures
and `report.md`.
"""

import contextlib
import os
import signal
import time
from typing import Any, NamedTuple

import jax
import ml_collections
import numpy as np
import tqdm

from unsup_jax.data import iterators, sources
from unsup_jax.errors import UserError
from unsup_jax.methods import base, registry
from unsup_jax.training import checkpoint, config as config_lib, parallel
from unsup_jax.training.logging import MetricsLogger, read_metrics
from unsup_jax.viz import figures as viz_figures
from unsup_jax.viz import report as viz_report

TEST_BINARIZATION_SEED = 1234
# Metrics logged under their own name in every phase.
_UNPREFIXED = ("nonfinite_total", "steps_per_sec")


class Interrupted(Exception):
  """Training stopped by a signal after saving a checkpoint."""

  def __init__(self, step: int, signum: int, path: str):
    self.step, self.signum = step, signum
    super().__init__(f"interrupted at step {step}; checkpoint saved in {path}; "
                     "run the same command again to resume")


class Diverged(Exception):
  """Too many consecutive non-finite updates."""


def prepare_workdir(workdir: str) -> None:
  if os.path.exists(workdir) and not os.path.isdir(workdir):
    raise UserError(f"--workdir {workdir} exists and is not a directory")
  parent = os.path.dirname(os.path.abspath(workdir))
  if os.path.exists(parent) and not os.path.isdir(parent):
    raise UserError(f"--workdir {workdir}: {parent} is not a directory")
  os.makedirs(workdir, exist_ok=True)


def load_data(config: ml_collections.ConfigDict):
  """The dataset, and the test images as evaluated (binarised if trained so)."""
  dataset = sources.load(config.data.name,
                         data_dir=config.data.data_dir or None,
                         num_train=config.data.num_train or None,
                         num_test=config.data.num_test or None)
  test_images = dataset.test_images
  if config.data.binarize != "none":
    test_images = iterators.binarize_static(test_images, TEST_BINARIZATION_SEED)
  return dataset, test_images


@contextlib.contextmanager
def _stop_on_signals(flag: dict):
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


class _Run(NamedTuple):
  method: Any
  dataset: Any
  test_images: np.ndarray
  train_iter: iterators.BatchIterator
  ckpt: checkpoint.Checkpointer
  state: Any
  eval_key: jax.Array


def _setup(config: ml_collections.ConfigDict, workdir: str, method, dataset,
           test_images) -> _Run:
  """Iterator and state, restored from the workdir if there."""
  prepare_workdir(workdir)
  train_iter = iterators.BatchIterator(
      dataset.train_images, dataset.train_labels,
      global_batch_size=config.data.batch_size, seed=config.seed,
      binarize=config.data.binarize, process_index=jax.process_index(),
      process_count=jax.process_count())
  init_key, eval_key = jax.random.split(jax.random.key(config.seed))
  state = method.init(init_key, train_iter.peek())
  fingerprint = dict(method.fingerprint,
                     params=checkpoint.shapes_of(state.params))
  ckpt = checkpoint.Checkpointer(os.path.join(workdir, "checkpoints"),
                                 keep=config.train.keep_checkpoints,
                                 fingerprint=fingerprint)
  if ckpt.latest_step() is not None:
    state, data_state = ckpt.restore(state)
    train_iter.restore(data_state)
  return _Run(method, dataset, test_images, train_iter, ckpt, state, eval_key)


def load_state(config: ml_collections.ConfigDict, workdir: str):
  """The latest checkpointed state of the run in `workdir` (e.g. to analyse
  a trained model in a notebook). Raises UserError if there is none."""
  config_lib.validate(config)
  if not os.path.isdir(os.path.join(workdir, "checkpoints")):
    raise UserError(f"no checkpoints in {workdir}")
  dataset, test_images = load_data(config)
  method = registry.build(config, dataset.image_shape, workdir)
  run_ = _setup(config, workdir, method, dataset, test_images)
  run_.ckpt.close()
  return run_.state


def run(config: ml_collections.ConfigDict, workdir: str, *,
        stop_after: int | None = None, progress: bool = True) -> dict:
  """Trains, evaluates and reports one experiment.

  Args:
    config: the experiment config (see `training/config.py`).
    workdir: run directory; an existing run there is resumed.
    stop_after: behave as if SIGTERM arrived after this many steps of this
      call (tests of interruption and resumption).
    progress: show a progress bar.

  Returns:
    The final metrics (also in `workdir/results.json`).

  Raises:
    UserError: bad config, data, workdir or checkpoint.
    Interrupted: a signal stopped training (a checkpoint was saved).
    Diverged: `train.max_nonfinite` non-finite updates in a row.
  """
  config_lib.validate(config)
  mode = parallel.choose_mode(config.train.parallel)
  parallel.check_batch_size(config.data.batch_size, mode)
  dataset, test_images = load_data(config)
  method = registry.build(config, dataset.image_shape, workdir)
  if method.train_step is None:
    return _run_closed_form(config, workdir, method, dataset, test_images)
  run_ = _setup(config, workdir, method, dataset, test_images)
  train_iter, ckpt, state, eval_key = (run_.train_iter, run_.ckpt, run_.state,
                                       run_.eval_key)
  primary = jax.process_index() == 0

  phases = base.phases_of(method, config.train.num_steps)
  engines = [parallel.Engine(p.train_step, mode) for p in phases]
  engine = engines[0]  # moving states and metrics depends only on the mode
  phase_ends = np.cumsum([p.num_steps for p in phases])
  start = int(state.step)
  num_steps = int(phase_ends[-1])
  logger = MetricsLogger(workdir, enabled=primary)
  flag = {}
  dstate = engine.put_state(state)
  save = lambda s: ckpt.save(engine.get_state(s), train_iter.state())
  run_start = time.perf_counter()
  try:
    with _stop_on_signals(flag), tqdm.tqdm(
        total=num_steps, initial=start, disable=not (progress and primary),
        unit="step", dynamic_ncols=True, mininterval=1.0) as bar:
      sums, count, t0 = {}, 0, time.perf_counter()
      for step in range(start + 1, num_steps + 1):
        p = base.phase_at(phases, step)
        dstate, metrics = engines[p].step(
            dstate, engine.put_batch(next(train_iter)))
        metrics = engine.get_metrics(metrics)
        for k, v in metrics.items():
          sums[k] = sums.get(k, 0.0) + v
        count += 1
        bar.update(1)
        streak = int(engine.get_state(dstate.nonfinite_streak))
        if streak >= config.train.max_nonfinite:
          save(dstate)
          raise Diverged(
              f"training stopped at step {step}: {streak} non-finite losses "
              f"or gradients in a row (updates skipped); lower "
              f"config.optim.learning_rate or set config.optim.grad_clip_norm")
        if (step % config.train.log_every == 0 or step == phase_ends[p]):
          record = {k: v / count for k, v in sums.items()}
          record["nonfinite_total"] = metrics["nonfinite_total"]
          record["steps_per_sec"] = count / (time.perf_counter() - t0)
          if p > 0:
            record = {(k if k in _UNPREFIXED else f"{phases[p].name}_{k}"): v
                      for k, v in record.items()}
          logger.write(step, record)
          bar.set_postfix(loss=f"{sums['loss'] / count:.4g}",
                          **({"phase": phases[p].name} if p else {}))
          sums, count, t0 = {}, 0, time.perf_counter()
        if step % config.train.eval_every == 0 and step < num_steps:
          quick = method.evaluate(engine.get_state(dstate), test_images,
                                  dataset.test_labels,
                                  jax.random.fold_in(eval_key, step), full=False)
          logger.write(step, {f"eval_{k}": v for k, v in quick.items()})
        if step % config.train.checkpoint_every == 0 or step == num_steps:
          save(dstate)
        if stop_after is not None and step - start >= stop_after:
          flag.setdefault("signum", signal.SIGTERM)
        if "signum" in flag and step < num_steps:
          save(dstate)
          raise Interrupted(step, flag["signum"], ckpt.directory)
    train_seconds = time.perf_counter() - run_start
  finally:
    logger.close()

  final = engine.get_state(dstate)
  save(dstate)
  ckpt.close()
  results = method.evaluate(final, test_images, dataset.test_labels,
                            jax.random.fold_in(eval_key, num_steps + 1),
                            full=True)
  results = {f"test_{k}": v for k, v in results.items()}
  results.update(steps=int(final.step),
                 nonfinite_total=int(final.nonfinite_total),
                 train_seconds_this_run=float(train_seconds))
  if primary:
    write_outputs(config, workdir, method, final, test_images,
                  dataset.test_labels, results,
                  jax.random.fold_in(eval_key, num_steps + 2))
  return results


def _run_closed_form(config, workdir, method, dataset, test_images) -> dict:
  """Fits a closed-form method on the whole training set, then reports."""
  prepare_workdir(workdir)
  fit_key, eval_key = jax.random.split(jax.random.key(config.seed))
  start = time.perf_counter()
  state = method.fit(fit_key, dataset.train_images, dataset.train_labels)
  fit_seconds = time.perf_counter() - start
  results = method.evaluate(state, test_images, dataset.test_labels,
                            eval_key, full=True)
  results = {f"test_{k}": v for k, v in results.items()}
  results["fit_seconds"] = fit_seconds
  if jax.process_index() == 0:
    write_outputs(config, workdir, method, state, test_images,
                  dataset.test_labels, results,
                  jax.random.fold_in(eval_key, 1))
  return results


def write_outputs(config, workdir, method, state, test_images, test_labels,
                  results, key) -> None:
  """results.json, every figure and report.md."""
  figdir = os.path.join(workdir, "figures")
  figs = method.figures(state, test_images, test_labels, key, figdir)
  records = read_metrics(workdir)
  if records:
    figs["training_curves"] = viz_figures.training_curves(
        records, os.path.join(figdir, "training_curves.png"))
  viz_report.write_results(workdir, results)
  notes = method.report_notes(results) if method.report_notes else None
  viz_report.write_report(
      workdir, title=f"{config.method} on {config.data.name}", config=config,
      results=results, figures=figs, notes=notes)


def count_params(params) -> int:
  return int(sum(np.size(x) for x in jax.tree.leaves(params)))
