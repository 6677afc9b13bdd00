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
"""

from typing import Any, Callable, NamedTuple


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
