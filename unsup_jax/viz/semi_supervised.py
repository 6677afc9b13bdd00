"""Figures of semi-supervised learning
(`methods/semi_supervised/semi_supervised.py` and
`methods/semi_supervised/label_budget_study.py`).

`make(outdir, outputs)` draws one run's confusion matrix (predicted against
true class on the test split) and, for M2 and M1+M2, the conditional
generation grid: each row keeps the style z of one test image, each column
decodes it with another class y (the analogies figure of Kingma et al.
2014). `budget_curves` draws a study's test accuracy against a count
(labels, or unlabelled examples), one line per model, mean ± std over seeds
as error bars.
"""

import os

import numpy as np

from unsup_jax.viz import clustering as viz_clustering
from unsup_jax.viz import figures as viz
from unsup_jax.viz.figures import plt


def analogies(grid: np.ndarray, predicted, path: str, *, title: str) -> str:
  """`[R, K, H, W, C]` images: rows of fixed style, columns of classes."""
  grid = np.asarray(grid)
  return viz.labelled_grid(
      grid, path, title=title,
      row_labels=[f"x{r} (q: {int(c)})" for r, c in enumerate(predicted)],
      col_labels=[f"y={k}" for k in range(grid.shape[1])])


def make(outdir: str, outputs: dict, *, suffix: str = "") -> dict:
  """Every figure one run's outputs allow; `{name: path}` (files named
  NAME + `suffix`)."""
  path = lambda name: os.path.join(outdir, f"{name}{suffix}.png")
  model = outputs.get("model", "")
  figs = {}
  if "confusion" in outputs:
    figs["confusion"] = viz_clustering.confusion_matrix(
        outputs["confusion"], path("confusion"), ylabel="predicted class",
        title=f"{model}: test predictions against classes")
  if "analogies" in outputs:
    figs["conditional_generation"] = analogies(
        outputs["analogies"], outputs["analogy_classes"],
        path("conditional_generation"),
        title=f"{model}: style z of a test image (rows) with each class y")
  return figs


def budget_curves(curves: dict, path: str, *, xlabel: str, title: str,
                  log_x: bool = True) -> str:
  """Test accuracy against a count, one line per model (mean, and the std
  over seeds as error bars).

  Args:
    curves: `{model: {count: [accuracy per seed]}}`.
    path: where to write the PNG.
    xlabel: what the count is.
    title: figure title.
    log_x: a logarithmic count axis (counts > 0); else linear (a count of
      0 shows).
  """
  fig, ax = plt.subplots(figsize=(6.4, 4.4))
  for model, points in curves.items():
    counts = sorted(points)
    values = [np.asarray(points[c], np.float64) for c in counts]
    mean = [v.mean() for v in values]
    std = [v.std(ddof=1) if len(v) > 1 else 0.0 for v in values]
    ax.errorbar(counts, mean, yerr=std, marker="o", capsize=3, label=model)
  ax.set(xscale="log" if log_x else "linear", xlabel=xlabel,
         ylabel="test accuracy", title=title)
  ax.grid(alpha=0.3, which="both")
  ax.legend()
  return viz.save_figure(fig, path)
