"""The contract between a method, its data and the engine (v2).

The data of a run, whatever its kind (images, sequences, sentences,
skip-gram pairs; `data/loader.py`), is a `Data`: the streams of training
batches, each drawn through a `BatchSource` whose batch at a position is a
pure function of that position (the loop's checkpoints hold each stream's
position, so a resumed run draws what an uninterrupted one does); the
per-step transform; the view of every split that evaluation reads; and the
`data.dataset.Spec` that a method is built from.

A method is built from its config and that spec (feature shapes per
stream, metadata), never from an image shape, by the module that names it
(`unsup_jax/methods/FAMILY/NAME.py`'s `build(config, spec)`, found by
`methods.registry`); the engine never imports `methods/`. It is a
`Method`:

* `init(key, batch) -> TrainState`: `batch` is the first batch of the first
  step phase (the "train" stream's when there is none).
* `phases`: run in order under one step counter, each either
  - a `Phase(name, num_steps, step, streams)`: `step(state, batch, *,
    axis_name=None) -> (state, metrics)`, pure, compiled by the engine with
    jit, pmap or a sharded jit. `batch` is the dict of the stream named by
    `streams`, or a dict of such dicts when `streams` is a tuple of names
    (e.g. `("labelled", "unlabelled")`). With `hook` and `every`, the
    whole-data `hook` runs before the phase's first step and then every
    `every` steps (e.g. refreshing a target distribution); or
  - a `Hook(name, fn)`: a whole-data step `fn(state, data, key) -> state`
    run once where it stands (fit PCA; k-means over the encoded training
    set). A hook that has run is recorded in the checkpoint and never runs
    again, also across a resume.
  Metrics of every phase after the first are logged with its name as
  prefix (`prior_loss`).
* `evaluate(state, data, key, *, full) -> (metrics, outputs)`: `data` is the
  evaluation view (`Data.view`: every split, transformed as evaluated);
  `metrics` are the test-set numbers (`full=False`: the cheap version run
  during training); `outputs` whatever the figures need, and under
  `"exports"` `{file name: {array name: array}}` that the engine writes to
  the workdir as .npz files (the points a metric scored, say), so that any
  other tool can recompute the numbers.
* `figures(outputs, outdir) -> {name: png path}`: plotting only, from the
  outputs of the final `evaluate` plus `outputs["history"]`, the run's
  logged records (added by the engine).
* `fingerprint`: what defines the model (checked on resume, with the
  parameter shapes).
* `report_notes(results, outputs) -> [markdown]`: optional report sections,
  from the final results (`test_*` keys) and the outputs of the final
  `evaluate` (plotting and markdown only, as `figures`).

A `Study` trains several models, each a `SubRun` with its own config,
method and data, as a sub-run of the same loop in `workdir/runs/NAME` (with
its own checkpoints, so a study resumes sub-run by sub-run), then
evaluates them together: `evaluate(states, data, key, *, full, runs)` with
`states` the final state of every sub-run by name and `runs` its `SubRun`
by name (to evaluate a sub-run with its own method and data).
"""

from typing import (Any, Callable, Mapping, NamedTuple, Protocol, Sequence,
                    runtime_checkable)


@runtime_checkable
class BatchSource(Protocol):
  """This process's shard of one stream's global batches."""

  def batch_at(self, position: int) -> dict:
    """The batch after `position` global batches, a pure function of it:
    `{feature: [B_local, ...]}`."""


@runtime_checkable
class Data(Protocol):
  """A run's data, as the engine reads it.

  Attributes:
    view: every split as evaluated (a `data.dataset.Dataset`), what
      `evaluate` and whole-data hooks read.
    streams: name -> `data.dataset.Stream` ("train" first): the split, rows
      and global batch size of each stream a step may draw.
    transform: the per-step transform run inside the compiled step,
      `(stream index, batch, step, example offset) -> batch`, or None.
  """
  view: Any
  streams: Mapping[str, Any]
  transform: Callable | None

  def spec(self) -> Any:
    """The `data.dataset.Spec` a method is built from."""

  def iterator(self, name: str, *, process_index: int = 0,
               process_count: int = 1) -> BatchSource:
    """The `BatchSource` of stream `name` for this process."""

  def stream_index(self, name: str) -> int:
    """The index of stream `name` (keys the stream's per-step transform)."""


class Phase(NamedTuple):
  """A phase of per-batch steps (see the module docstring)."""
  name: str
  num_steps: int
  step: Callable[..., Any]
  streams: str | tuple[str, ...] = "train"
  every: int = 0
  hook: Callable[..., Any] | None = None


class Hook(NamedTuple):
  """A whole-data step `fn(state, data, key) -> state`, run once."""
  name: str
  fn: Callable[..., Any]


class Method(NamedTuple):
  """An iterative, phased or closed-form method (see the module docstring)."""
  init: Callable[..., Any]
  phases: tuple
  evaluate: Callable[..., tuple[dict, dict]]
  figures: Callable[..., dict]
  fingerprint: dict
  report_notes: Callable[[dict, dict], list] | None = None


class SubRun(NamedTuple):
  """One model of a study: its name (the folder under `runs/`), full
  config, built method and prepared `Data`."""
  name: str
  config: Any
  method: Method
  data: Any


class Study(NamedTuple):
  """Several models trained as sub-runs, evaluated together.

  Attributes:
    runs: `runs(data) -> [SubRun]`, from the study's own prepared data.
    evaluate: `(states, data, key, *, full, runs) -> (metrics, outputs)`,
      `runs` the `SubRun`s by name.
    figures, fingerprint, report_notes: as in `Method`.
  """
  runs: Callable[[Any], Sequence[SubRun]]
  evaluate: Callable[..., tuple[dict, dict]]
  figures: Callable[..., dict]
  fingerprint: dict
  report_notes: Callable[[dict, dict], list] | None = None


def model_fingerprint(section, fields: Sequence[str], spec) -> dict:
  """The config fields that define a model's parameters and the images it
  reads, for checkpoints (`Method.fingerprint`)."""
  return {"model": {f: section[f] for f in fields},
          "image_shape": list(spec.image_shape)}


def step_phases(method: Method) -> list[Phase]:
  return [p for p in method.phases if isinstance(p, Phase)]
