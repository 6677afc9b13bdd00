"""The training-curves figure: one panel per metric of a run's records,
each beside its `eval_` twin, with the constant series set aside in a note
(written as `figures.py` writes every figure)."""

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np

from unsup_jax.viz.figures import save_figure

_SKIPPED_CURVE_KEYS = ("step", "steps_per_sec", "time")


def _is_number(value):
  """Whether `value` is a real number (bools are not)."""
  return (isinstance(value, (int, float, np.integer, np.floating)) and
          not isinstance(value, (bool, np.bool_)))


_EVAL_PREFIX = "eval_"


def _curve_points(records, key):
  """`[T, 2]` (step, value) of `key`'s finite values, sorted by step; a
  record without a numeric "step" counts as its list position."""
  points = sorted((float(r["step"] if _is_number(r.get("step")) else i),
                   float(r[key])) for i, r in enumerate(records)
                  if _is_number(r.get(key)) and np.isfinite(r[key]))
  return np.array(points, np.float64).reshape(-1, 2)


def curve_panels(records, keys=None):
  """Groups the metric series of `records` into the panels of a figure.

  A metric X and its evaluation twin `eval_X` share the panel titled X
  (keys `[X, eval_X]`); an `eval_X` without X among the plotted keys has its
  own panel titled `eval_X`. A series whose finite values are all equal
  (one value, or one value throughout) is constant: it gets no panel of its
  own, and is drawn only beside a twin that varies. Keys with no finite
  value are left out of both results.

  Args:
    records: dicts as in metrics.jsonl, e.g. `{"step": 10, "loss": 1.2}`.
    keys: the metrics to consider; default every numeric key but "step",
      "steps_per_sec" and "time", in order of first appearance.

  Returns:
    `(panels, constants)`: `{title: [key, ...]}`, in the order of the first
    key of each panel among `keys`, the training series before its
    `eval_` twin; and `{key: value}` of the constant series not drawn, in
    the order of `keys`.
  """
  if keys is None:
    keys = list(dict.fromkeys(
        k for r in records for k, v in r.items()
        if k not in _SKIPPED_CURVE_KEYS and _is_number(v)))
  values = {}
  for key in dict.fromkeys(keys):
    finite = _curve_points(records, key)[:, 1]
    if len(finite):
      values[key] = finite
  groups = {}
  for key in values:
    name = key[len(_EVAL_PREFIX):] if key.startswith(_EVAL_PREFIX) else key
    title = name if name in values else key
    groups.setdefault(title, []).append(key)
  varies = {k: bool(np.any(v != v[0])) for k, v in values.items()}
  panels = {title: sorted(group, key=lambda k: k.startswith(_EVAL_PREFIX))
            for title, group in groups.items()
            if any(varies[k] for k in group)}
  drawn = {k for group in panels.values() for k in group}
  constants = {k: float(v[0]) for k, v in values.items() if k not in drawn}
  return panels, constants


def _constants_note(constants, width):
  """One line (wrapped at `width` characters) naming the series not drawn
  for being constant, with their values."""
  if not constants:
    return ""
  return textwrap.fill(
      "not plotted, one value throughout: " + ", ".join(
          f"{k} = {v:.4g}" for k, v in constants.items()), width)


def training_curves(records, path, *, keys=None, title="Training curves"):
  """Saves one small plot per metric against step, its eval twin beside it.

  The panels are `curve_panels(records, keys)`'s: a metric and its `eval_`
  twin share one panel (lines "train" and "eval"); constant series get
  none, and are named with their value under the title instead.
  Non-finite values are skipped.

  Args:
    records: dicts as in metrics.jsonl, e.g. `{"step": 10, "loss": 1.2}`,
      eval records with `eval_` keys; no "step" means the list position.
    path: where to write the PNG.
    keys: metrics to plot; default every numeric key but "step",
      "steps_per_sec" and "time", in order of first appearance.
    title: figure title.

  Returns:
    `path`. Raises ValueError if `records` is empty.
  """
  records = list(records)
  if not records:
    raise ValueError("training_curves needs at least one record")
  panels, constants = curve_panels(records, keys)
  ncols = max(1, min(3, len(panels)))
  nrows = max(1, math.ceil(len(panels) / ncols))
  fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 2.8 * nrows + 0.6),
                           squeeze=False)
  for ax in axes.flat[len(panels):]:
    ax.axis("off")
  if not panels:
    axes[0, 0].text(0.5, 0.5, "no metric varies" if constants else
                    "no finite metric values", ha="center", va="center",
                    transform=axes[0, 0].transAxes)
  for ax, (panel, panel_keys) in zip(axes.flat, panels.items()):
    for key in panel_keys:
      points = _curve_points(records, key)
      is_eval = key.startswith(_EVAL_PREFIX)
      ax.plot(points[:, 0], points[:, 1], marker="o" if len(points) <= 50
              else None, markersize=3, linewidth=1.2,
              color="tab:orange" if is_eval else "tab:blue",
              label="eval" if is_eval else "train")
    if len(panel_keys) > 1:
      ax.legend(fontsize="small")
    ax.set(title=panel, xlabel="step")
    ax.grid(alpha=0.3)
  note = _constants_note(constants, width=max(60, 45 * ncols))
  fig.suptitle(title)
  if note:
    fig.text(0.5, 0.0, note, ha="center", va="top", fontsize="small")
  fig.tight_layout()
  return save_figure(fig, path)
