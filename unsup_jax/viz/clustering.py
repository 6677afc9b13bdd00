"""Figures of the clustering methods (`methods/clustering/dec.py`,
`methods/clustering/vade.py`).

`make(outdir, outputs)` draws what the outputs hold: the confusion matrix
of matched clusters against classes, the training images nearest each
centre, the embedding in 2-D (principal components) at the start and end
of clustering coloured by cluster and by class, and the training-set
ACC/NMI/ARI with the fraction of changed assignments per refresh.
"""

import os

import numpy as np

from unsup_jax.viz import figures as viz
from unsup_jax.viz.figures import plt

CURVE = ("step", "acc", "nmi", "ari", "changed")


def confusion_matrix(counts: np.ndarray, path: str, *,
                     title: str = "Clusters (matched) against classes",
                     ylabel: str = "cluster (its matched class)") -> str:
  """`[C, C]` counts of (matched class, true class) as a heat map."""
  counts = np.asarray(counts)
  fig, ax = plt.subplots(figsize=(5.6, 5.0))
  ax.imshow(counts, cmap="Blues")
  top = max(int(counts.max()), 1)
  for (i, j), v in np.ndenumerate(counts):
    if v:
      ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=7,
              color="white" if v > top / 2 else "black")
  n = counts.shape[0]
  ax.set(xticks=range(n), yticks=range(n), xlabel="true class",
         ylabel=ylabel, title=title)
  return viz.save_figure(fig, path)


def nearest_grid(images: np.ndarray, path: str, *, title: str) -> str:
  """`[K, n, H, W, C]` images, one row per cluster."""
  rows = [(f"c{k}", images[k]) for k in range(len(images))]
  return viz.labelled_rows(rows, path, title=title)


def embedding(panels: dict, path: str) -> str:
  """2x2 scatter: start / end codes (rows) coloured by cluster / class;
  `panels["titles"]` names the two rows (default: start and end of
  clustering)."""
  start, end = panels.get("titles", ("start of clustering",
                                     "end of clustering"))
  rows = [(start, panels["start_codes"], panels["start_clusters"]),
          (end, panels["end_codes"], panels["end_clusters"])]
  labels = panels.get("labels")
  cols = 1 if labels is None else 2
  fig, axes = plt.subplots(2, cols, figsize=(5.0 * cols, 9.0), squeeze=False)
  for r, (name, codes, clusters) in enumerate(rows):
    xy, ratio = viz.pca_project(codes, 2)
    for c, (colour, what) in enumerate([(clusters, "cluster"),
                                        (labels, "class")][:cols]):
      ax = axes[r, c]
      ax.scatter(xy[:, 0], xy[:, 1], c=np.asarray(colour), cmap="tab10",
                 s=3, vmin=0, vmax=9)
      ax.set(title=f"{name}, by {what}",
             xlabel=f"PC1 ({100 * ratio[0]:.0f}%)",
             ylabel=f"PC2 ({100 * ratio[1]:.0f}%)")
  return viz.save_figure(fig, path)


def curves(curve: np.ndarray, path: str) -> str:
  """Training-set ACC/NMI/ARI and the changed fraction against the step."""
  curve = np.asarray(curve)
  fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.0))
  step = curve[:, 0]
  for i, name in enumerate(CURVE[1:4], start=1):
    left.plot(step, curve[:, i], marker=".", label=name.upper())
  left.set(xlabel="step", ylabel="score", title="Training-set scores",
           ylim=(0.0, 1.0))
  left.legend()
  right.plot(step[1:], np.maximum(curve[1:, 4], 1e-5), marker=".")
  right.set(xlabel="step", ylabel="fraction", yscale="log",
            title="Assignments changed since the last refresh")
  return viz.save_figure(fig, path)


def make(outdir: str, outputs: dict, *, title: str) -> dict:
  """Every figure the outputs allow; `{name: path}`."""
  path = lambda name: os.path.join(outdir, f"{name}.png")
  figs = {}
  if "confusion" in outputs:
    figs["confusion"] = confusion_matrix(
        outputs["confusion"], path("confusion"),
        title=f"{title}: clusters (matched) against classes")
  if "nearest" in outputs:
    figs["nearest_to_centres"] = nearest_grid(
        outputs["nearest"], path("nearest_to_centres"),
        title=f"{title}: training images nearest each centre")
  if "embedding" in outputs:
    figs["embedding"] = embedding(outputs["embedding"], path("embedding"))
  if len(outputs.get("curve", ())):
    figs["cluster_curves"] = curves(outputs["curve"], path("cluster_curves"))
  return figs
