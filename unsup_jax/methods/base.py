"""The contract every iterative method fulfils.

A method is four functions closed over its config and model:

* `init(key, batch) -> TrainState`
* `train_step(state, batch, *, axis_name=None) -> (state, metrics)` — pure;
  compiled by the engine with jit or pmap.
* `evaluate(state, images, labels, key, *, full) -> metrics` — test-set
  numbers (`full=False` is the cheap version run during training).
* `figures(state, images, labels, key, outdir) -> {name: png path}`.

plus a JSON `fingerprint` of what defines the model, checked on resume.

Closed-form methods (PCA) set `train_step=None` and provide
`fit(key, images, labels) -> state`, computed from the whole training set;
they are then evaluated, plotted and reported like every other method.

Methods trained in phases (a VQ-VAE, then a prior over its codes) list them
in `phases`: each `Phase(name, num_steps, train_step)` runs in turn on the
same state, under the same step counter, checkpoints and resumption; the
metrics of every phase after the first are logged with the phase's name as
prefix (`prior_loss`).
"""

from typing import Any, Callable, NamedTuple


class Phase(NamedTuple):
  name: str
  num_steps: int
  train_step: Callable[..., Any]


class Method(NamedTuple):
  init: Callable[..., Any] | None
  train_step: Callable[..., Any] | None
  evaluate: Callable[..., dict]
  figures: Callable[..., dict]
  fingerprint: dict
  fit: Callable[..., Any] | None = None
  # Optional `report_notes(results) -> [markdown]`: extra report sections
  # (e.g. a table built from the final metrics).
  report_notes: Callable[[dict], list] | None = None
  # Optional training phases, replacing `train_step` for `train.num_steps`.
  phases: tuple[Phase, ...] | None = None


def phases_of(method: Method, num_steps: int) -> list[Phase]:
  """The method's phases; one "train" phase of `num_steps` by default."""
  if method.phases:
    return list(method.phases)
  return [Phase("train", num_steps, method.train_step)]


def phase_at(phases: list[Phase], step: int) -> int:
  """Index of the phase that runs step number `step` (1-based)."""
  end = 0
  for i, phase in enumerate(phases):
    end += phase.num_steps
    if step <= end:
      return i
  return len(phases) - 1
