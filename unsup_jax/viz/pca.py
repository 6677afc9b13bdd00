"""Figures of a principal component analysis (Pearson 1901; Hotelling 1933).

Like `viz/figures.py`: numpy in, one Agg figure per call, written atomically
(a temporary file moved into place) to `path`, which is returned.
"""

import math
import matplotlib.pyplot as plt
import numpy as np

from unsup_jax.viz import figures as viz


def components(images, path, *, variance_ratio=None, ncols=8,
               title="Principal components"):
  """Saves principal axes as images on a diverging colormap (0 is white).

  Args:
    images: `[K, H, W, C]` (or `[K, H, W]`) components reshaped to images;
      each is scaled to its own largest |loading|. RGB components are shown
      as `0.5 + loading / (2 max |loading|)`.
    path: where to write the PNG.
    variance_ratio: optional `[>= K]` explained-variance ratios for the
      panel titles.
    ncols: panels per row.
    title: figure title.

  Returns:
    `path`.
  """
  images = np.asarray(images, np.float64)
  if images.ndim == 3:
    images = images[..., None]
  if images.ndim != 4 or not len(images) or images.shape[-1] not in (1, 3):
    raise ValueError(f"components must be [K, H, W, 1 or 3], got "
                     f"{images.shape}")
  k = len(images)
  ncols = max(1, min(ncols, k))
  nrows = math.ceil(k / ncols)
  fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                           figsize=(1.3 * ncols, 1.45 * nrows + 0.5))
  for ax in axes.flat:
    ax.axis("off")
  for i, (ax, img) in enumerate(zip(axes.flat, images)):
    scale = max(float(np.max(np.abs(img))), 1e-12)
    if img.shape[-1] == 1:
      ax.imshow(img[..., 0], cmap="RdBu_r", vmin=-scale, vmax=scale,
                interpolation="nearest")
    else:
      ax.imshow(np.clip(0.5 + img / (2 * scale), 0, 1),
                interpolation="nearest")
    label = f"PC{i + 1}"
    if variance_ratio is not None and i < len(variance_ratio):
      label += f" {100 * float(variance_ratio[i]):.1f}%"
    ax.set_title(label, fontsize=7)
  fig.suptitle(title)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def explained_variance(ratio, path, *, marks=(), heldout_mse=None,
                       title="Explained variance"):
  """Saves the cumulative explained-variance curve (and held-out MSE).

  Args:
    ratio: `[K]` explained-variance ratio per component, decreasing.
    path: where to write the PNG.
    marks: component counts k to mark on the curve.
    heldout_mse: optional `[K]` test MSE per pixel using the first k
      components, drawn on a second panel.
    title: figure title.

  Returns:
    `path`.
  """
  ratio = np.asarray(ratio, np.float64).reshape(-1)
  if not len(ratio):
    raise ValueError("explained_variance needs at least one component")
  ks = np.arange(1, len(ratio) + 1)
  cumulative = np.cumsum(ratio)
  panels = 1 if heldout_mse is None else 2
  fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.8),
                           squeeze=False)
  ax = axes[0, 0]
  ax.bar(ks, ratio, color="tab:gray", alpha=0.5, label="per component")
  ax.plot(ks, cumulative, color="tab:blue", linewidth=1.5, label="cumulative")
  for k in marks:
    if 1 <= k <= len(ratio):
      ax.plot([k], [cumulative[k - 1]], "o", color="tab:red", markersize=4)
      ax.annotate(f"k={k}: {100 * cumulative[k - 1]:.1f}%",
                  (k, cumulative[k - 1]), textcoords="offset points",
                  xytext=(4, -12), fontsize=8)
  ax.set(xlabel="number of components k",
         ylabel="fraction of training variance", ylim=(0, 1.02),
         title="Cumulative explained variance")
  ax.grid(alpha=0.3)
  ax.legend(fontsize="small", loc="center right")
  if heldout_mse is not None:
    mse = np.asarray(heldout_mse, np.float64).reshape(-1)
    ax = axes[0, 1]
    ax.plot(np.arange(1, len(mse) + 1), mse, color="tab:orange")
    for k in marks:
      if 1 <= k <= len(mse):
        ax.plot([k], [mse[k - 1]], "o", color="tab:red", markersize=4)
    ax.set(xlabel="number of components k", ylabel="MSE per pixel",
           title="Held-out reconstruction error")
    ax.grid(alpha=0.3)
  fig.suptitle(title)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def reconstructions_by_k(originals, recons, path, *,
                         title="Reconstructions from the first k components"):
  """Saves originals above their reconstructions at several k.

  Args:
    originals: `[N, H, W, C]` images in [0, 1].
    recons: `{k: [N, H, W, C]}` reconstructions (clipped for display).
    path: where to write the PNG.
    title: figure title.

  Returns:
    `path`.
  """
  originals = np.clip(np.asarray(originals, np.float32), 0, 1)
  if originals.ndim == 3:
    originals = originals[..., None]
  rows = [("original", originals)]
  for k in sorted(recons):
    rows.append((f"k = {k}",
                 np.asarray(recons[k], np.float32).reshape(originals.shape)))
  return viz.labelled_rows(rows, path, title=title)
