"""Figures of anomaly detection with one held-out class.

Score distributions and ROC areas of detectors trained without one class
(the "one class held out" protocol of e.g. Zong et al. 2018, ICLR; scores by
reconstruction error, Japkowicz et al. 1995, or by the negative ELBO, An &
Cho 2015). Like `viz/figures.py`: numpy in, one Agg figure per call, written
atomically (a temporary file moved into place) to `path`, which is returned.
"""

import matplotlib.pyplot as plt
import numpy as np

from unsup_jax.eval import anomaly as anomaly_eval
from unsup_jax.viz import figures as viz


def _finite(x):
  x = np.asarray(x, np.float64).reshape(-1)
  return x[np.isfinite(x)]


def score_histograms(scores, path, *, title="Anomaly scores of the test set"):
  """Saves a grid of histograms: one row per model, one column per class.

  Args:
    scores: `{model: {digit: (normal [N_n], anomalous [N_a])}}` test scores
      of the model trained without `digit`; anomalous = the test images of
      `digit`. Every model has the same digits.
    path: where to write the PNG.
    title: figure title.

  Returns:
    `path`.
  """
  models = list(scores)
  digits = list(scores[models[0]]) if models else []
  if not digits:
    raise ValueError("score_histograms needs at least one model and digit")
  fig, axes = plt.subplots(len(models), len(digits), squeeze=False,
                           figsize=(1.9 * len(digits) + 0.6,
                                    1.7 * len(models) + 0.8))
  for row, model in enumerate(models):
    for col, digit in enumerate(digits):
      ax = axes[row, col]
      normal, anomalous = map(_finite, scores[model][digit])
      both = np.concatenate([normal, anomalous])
      lo, hi = (np.percentile(both, [0.5, 99.5]) if both.size else (0, 1))
      bins = np.linspace(lo, hi if hi > lo else lo + 1, 30)
      ax.hist(np.clip(normal, lo, hi), bins=bins, density=True, alpha=0.55,
              color="tab:blue", label="normal")
      ax.hist(np.clip(anomalous, lo, hi), bins=bins, density=True, alpha=0.55,
              color="tab:red", label="held out")
      area = anomaly_eval.auroc(normal, anomalous) if (
          normal.size and anomalous.size) else float("nan")
      ax.set_title(f"{model}, held out {digit}\nAUROC {area:.3f}", fontsize=7)
      ax.tick_params(labelsize=6)
      ax.set_yticks([])
      if col == 0:
        ax.legend(fontsize=6, loc="upper right")
  fig.suptitle(title)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def auroc_bars(digits, aurocs, path, *, title="AUROC per held-out digit"):
  """Saves grouped bars of AUROC per held-out class and model.

  Args:
    digits: `[K]` held-out classes (the bar groups).
    aurocs: `{model: [K] AUROCs}` in the order of `digits`.
    path: where to write the PNG.
    title: figure title.

  Returns:
    `path`.
  """
  digits = list(digits)
  models = list(aurocs)
  if not digits or not models:
    raise ValueError("auroc_bars needs at least one digit and model")
  width = 0.8 / len(models)
  x = np.arange(len(digits))
  fig, ax = plt.subplots(figsize=(max(4.0, 0.7 * len(digits) + 1.5), 3.6))
  for i, model in enumerate(models):
    values = np.asarray(aurocs[model], np.float64)
    mean = float(np.nanmean(values)) if np.isfinite(values).any() else np.nan
    ax.bar(x + (i - (len(models) - 1) / 2) * width, np.nan_to_num(values),
           width, label=f"{model} (mean {mean:.3f})")
  ax.axhline(0.5, color="black", linewidth=0.8, linestyle="--",
             label="chance")
  ax.set_xticks(x, [str(d) for d in digits])
  ax.set(xlabel="held-out digit (the anomaly)", ylabel="AUROC", ylim=(0, 1),
         title=title)
  ax.grid(axis="y", alpha=0.3)
  ax.legend(fontsize="small", loc="lower right")
  fig.tight_layout()
  return viz.save_figure(fig, path)


def roc_curves(scores, path, *, title="ROC curves"):
  """Saves one panel per model with the ROC curve of every held-out class.

  Args:
    scores: as in `score_histograms`.
    path: where to write the PNG.
    title: figure title.

  Returns:
    `path`.
  """
  models = list(scores)
  if not models:
    raise ValueError("roc_curves needs at least one model")
  fig, axes = plt.subplots(1, len(models), squeeze=False,
                           figsize=(3.8 * len(models), 3.8))
  colors = plt.get_cmap("tab10")
  for ax, model in zip(axes[0], models):
    for i, (digit, (normal, anomalous)) in enumerate(scores[model].items()):
      normal, anomalous = _finite(normal), _finite(anomalous)
      if not (normal.size and anomalous.size):
        continue
      fpr, tpr = anomaly_eval.roc_curve(normal, anomalous)
      ax.plot(fpr, tpr, color=colors(i % 10), linewidth=1.2,
              label=f"{digit}: {anomaly_eval.auroc(normal, anomalous):.3f}")
    ax.plot([0, 1], [0, 1], color="gray", linewidth=0.8, linestyle="--")
    ax.set(xlabel="false positive rate", ylabel="true positive rate",
           xlim=(0, 1), ylim=(0, 1), title=model, aspect="equal")
    ax.legend(fontsize=6, title="held out: AUROC", title_fontsize=6,
              loc="lower right")
  fig.suptitle(title)
  fig.tight_layout()
  return viz.save_figure(fig, path)
