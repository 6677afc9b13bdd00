"""One experiment end to end: train (or resume), evaluate, report.

`run(config, method, data, workdir)` is what `launch.py` and the public
API call once they have resolved the method by name: it trains a `Method`
with `loop.train`, or each sub-run of a `Study` in `workdir/runs/NAME`
(every one checkpointing and resuming like any run), then evaluates on the
evaluation view of the data and writes `results.json`, every figure and
`report.md`.
"""

import math
import os
from typing import Any

import jax
import ml_collections

from unsup_jax.errors import NonFiniteResults, UserError
from unsup_jax.training import lock, loop
from unsup_jax.training.contract import Method, Study
from unsup_jax.training.logging import read_metrics
from unsup_jax.viz import curves as viz_curves
from unsup_jax.viz import report as viz_report

RUNS_DIR = "runs"


def _quick(method: Method, data):
  def evaluate(state, key):
    metrics, _ = method.evaluate(state, data.view, key, full=False)
    return metrics
  return evaluate


def train_study(study: Study, data, workdir: str, *, progress: bool = True,
                budget: loop.Budget | None = None):
  """Trains every sub-run of `study`; returns ({name: state}, seconds,
  {name: records}, steps, {name: SubRun})."""
  states, seconds, history, steps = {}, 0.0, {}, 0
  runs = list(study.runs(data))
  for i, sub in enumerate(runs):
    subdir = os.path.join(workdir, RUNS_DIR, sub.name)
    trained = loop.train(
        sub.config, sub.method, sub.data, subdir, progress=progress,
        budget=budget, desc=f"{sub.name} ({i + 1}/{len(runs)})",
        evaluate=_quick(sub.method, sub.data))
    states[sub.name] = trained.state
    seconds += trained.seconds
    steps += int(trained.state.step)
    if jax.process_index() == 0:
      history[sub.name] = read_metrics(subdir)
  return states, seconds, history, steps, {r.name: r for r in runs}


def run(config: ml_collections.ConfigDict, method: Method | Study, data,
        workdir: str, *, stop_after: int | None = None,
        progress: bool = True) -> dict:
  """Trains, evaluates and reports one experiment.

  Args:
    config: the experiment config, already validated (`configs.validate`,
      as the public API's `run` does; a method written elsewhere may use
      any other name).
    method: the built method or study (`methods.registry.build`).
    data: its `data.streams.Data`.
    workdir: run directory; an existing run there is resumed.
    stop_after: behave as if SIGTERM arrived after this many steps of this
      call (tests of interruption and resumption).
    progress: show a progress bar.

  Returns:
    The final metrics (also in `workdir/results.json`).

  Raises:
    UserError: bad config, data, workdir or checkpoint; a workdir another
      run holds; a workdir that cannot be written.
    Interrupted: a signal stopped training (a checkpoint was saved).
    Diverged: `train.max_nonfinite` non-finite updates in a row.
    NonFiniteResults: a final metric is NaN or infinite (the outputs are
      written, the metric as null and named in the report).
  """
  loop.prepare_workdir(workdir)
  with lock.held(workdir, enabled=jax.process_index() == 0):
    try:
      results = _run(config, method, data, workdir, stop_after, progress)
    except OSError as e:
      raise UserError(f"cannot write to --workdir {workdir}: "
                      f"{e.strerror or e} ({getattr(e, 'filename', '')}); "
                      "what was written before is kept") from e
  bad = _non_finite(results)
  if bad:
    raise NonFiniteResults(
        f"the final evaluation is not finite: {', '.join(bad)} (written as "
        f"null in {os.path.join(workdir, 'results.json')})")
  return results


def _non_finite(results: dict) -> list[str]:
  """The names of the NaN or infinite metrics in `results`, sorted."""
  return sorted(k for k, v in results.items()
                if isinstance(v, float) and not math.isfinite(v))


def _run(config, method, data, workdir, stop_after, progress) -> dict:
  budget = loop.Budget(stop_after)
  extra = {}
  if isinstance(method, Study):
    states, seconds, history, steps, extra["runs"] = train_study(
        method, data, workdir, progress=progress, budget=budget)
    final, nonfinite = states, 0
  else:
    trained = loop.train(config, method, data, workdir, progress=progress,
                         budget=budget, evaluate=_quick(method, data))
    final, seconds = trained.state, trained.seconds
    history = read_metrics(workdir) if jax.process_index() == 0 else []
    steps, nonfinite = int(final.step), int(final.nonfinite_total)
  eval_key = jax.random.split(jax.random.key(config.seed))[1]
  metrics, outputs = method.evaluate(
      final, data.view, jax.random.fold_in(eval_key, 2 ** 30), full=True,
      **extra)
  results = {f"test_{k}": v for k, v in metrics.items()}
  results.update(steps=steps, nonfinite_total=nonfinite,
                 train_seconds_this_run=float(seconds))
  if jax.process_index() == 0:
    write_outputs(config, workdir, method, dict(outputs, history=history),
                  results)
  return results


def write_outputs(config, workdir: str, method, outputs: dict,
                  results: dict) -> None:
  """results.json, the arrays of `outputs["exports"]` (`{file name:
  {array name: array}}`, each an .npz in the workdir), the text files of
  `outputs["texts"]` (`{path relative to the workdir: text}`, e.g. the
  embedding projector's TSV files), every figure and report.md."""
  figdir = os.path.join(workdir, "figures")
  for name, arrays in (outputs.get("exports") or {}).items():
    viz_report.write_arrays(os.path.join(workdir, name), arrays)
  for name, text in (outputs.get("texts") or {}).items():
    viz_report.write_text(os.path.join(workdir, name), text)
  figs = dict(method.figures(outputs, figdir))
  records = outputs.get("history")
  if isinstance(records, list) and records:
    figs["training_curves"] = viz_curves.training_curves(
        records, os.path.join(figdir, "training_curves.png"))
  viz_report.write_results(workdir, results)
  notes = (list(method.report_notes(results, outputs))
           if method.report_notes else [])
  bad = _non_finite(results)
  if bad:
    notes.insert(0, "**These results are not finite and are not valid:** " +
                 ", ".join(f"`{k}`" for k in bad) + ".")
  viz_report.write_report(
      workdir, title=f"{config.method} on {config.data.name}", config=config,
      results=results, figures=figs, notes=notes)


def load_state(config: ml_collections.ConfigDict, method: Method | Study,
               data, workdir: str) -> Any:
  """The latest checkpointed state of the run in `workdir` (for a study:
  `{sub-run: state}`)."""
  if isinstance(method, Study):
    return {sub.name: loop.restore(sub.config, sub.method, sub.data,
                                   os.path.join(workdir, RUNS_DIR, sub.name))
            for sub in method.runs(data)}
  return loop.restore(config, method, data, workdir)

