"""Figures for unsupervised-learning runs: image grids and latents (training
curves: `curves.py`).

Each figure function takes numpy arrays (callers convert from JAX), draws one
figure with pyplot's backend (Agg under `launch.py`; the library never
switches it, so a notebook keeps its inline one), writes it as a PNG to
`path` (parents created; written to `path + ".tmp.png"` and moved into
place), closes it and returns `path` as a str. Nothing here is random. Images are `[N, H, W, C]` floats in
[0, 1] with C = 1 (gray) or 3 (RGB), `[N, H, W]` meaning C = 1; they are
clipped to [0, 1] for display.
"""

import math
import os

import matplotlib.pyplot as plt
import numpy as np

_PAD_VALUE = 1.0  # White padding between tiles.


def _as_images(images, ndim=4):
  """Returns float images with a channel axis, clipped to [0, 1]."""
  images = np.asarray(images, dtype=np.float32)
  if images.ndim == ndim - 1:
    images = images[..., None]
  if images.ndim != ndim or images.shape[-1] not in (1, 3):
    raise ValueError(f"expected images with {ndim} axes ending in 1 or 3 "
                     f"channels, got shape {images.shape}")
  return np.clip(np.nan_to_num(images), 0.0, 1.0)


def make_mosaic(images, ncols, pad=1):
  """Tiles `[N, H, W, C]` images (N >= 1), `ncols` per row, unclipped.

  Args:
    images: `[N, H, W, C]` images; tile (i, j) is `images[i * ncols + j]`.
    ncols: tiles per row.
    pad: white (1.0) border in pixels around every tile; empty slots are white.

  Returns:
    `[R * (H + pad) + pad, ncols * (W + pad) + pad, C]`, `R = ceil(N / ncols)`.
  """
  images = np.asarray(images)
  n, h, w, c = images.shape
  if n < 1 or ncols < 1 or pad < 0:
    raise ValueError(f"bad mosaic: {n} images, ncols={ncols}, pad={pad}")
  nrows = math.ceil(n / ncols)
  mosaic = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c),
                   _PAD_VALUE, dtype=images.dtype)
  for k in range(n):
    top, left = pad + (k // ncols) * (h + pad), pad + (k % ncols) * (w + pad)
    mosaic[top:top + h, left:left + w] = images[k]
  return mosaic


def grid_shape(n, max_cols=10):
  """Rows and columns of a full grid of samples: no empty last-row tiles.

  With `s = min(max_cols, ceil(sqrt(n)))` the side of the squarest grid,
  every column count c from `ceil(2 s / 3)` to `min(max_cols, n)` is tried
  with `floor(n / c)` full rows; the grid showing the most tiles wins, ties
  going to the squarer grid (smaller |rows - cols|), then to more columns.
  So when such a c divides n all n tiles are shown (64 -> 8x8, 100 -> 10x10,
  60 -> 6x10, 7 -> 1x7). When none does (n prime, or divisors that make
  only long thin grids, as 22 = 2 x 11), the grid is trimmed: the last
  `n - rows * cols` (fewer than `cols`) tiles are left out (22 -> 3x7,
  13 -> 3x4, 97 -> 12x8).

  Args:
    n: number of tiles available, >= 1.
    max_cols: most columns, >= 1.

  Returns:
    `(rows, cols)`, `rows * cols <= n`.
  """
  if n < 1 or max_cols < 1:
    raise ValueError(f"bad grid: n={n}, max_cols={max_cols}")
  side = min(max_cols, math.ceil(math.sqrt(n)))
  best = max(range(math.ceil(2 * side / 3), min(max_cols, n) + 1),
             key=lambda c: ((n // c) * c, -abs(n // c - c), c))
  return n // best, best


def save_figure(fig, path):
  """Writes `fig` to `path` atomically, closes it and returns the path.

  Every figure of the project goes through here: a crash never leaves a
  half-written PNG, and an older figure survives a failed save.
  """
  path = os.fspath(path)
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + ".tmp.png"
  try:
    fig.savefig(tmp, dpi=100, bbox_inches="tight")
    os.replace(tmp, path)
  finally:
    plt.close(fig)
    if os.path.exists(tmp):
      os.remove(tmp)
  return path


def _mosaic_figure(mosaic, title):
  """Returns `(fig, ax)` showing a mosaic with one imshow and no ticks."""
  height, width = mosaic.shape[:2]
  scale = min(8.0, max(1.0, 900.0 / max(height, width)))  # Screen px / pixel.
  fig, ax = plt.subplots(figsize=(max(3.0, width * scale / 100 + 1.2),
                                  max(2.0, height * scale / 100 + 0.8)))
  gray = mosaic.shape[-1] == 1
  ax.imshow(mosaic[..., 0] if gray else mosaic, cmap="gray" if gray else None,
            vmin=0.0, vmax=1.0, interpolation="nearest")
  ax.set(xticks=[], yticks=[], title=title or "")
  ax.tick_params(length=0)
  return fig, ax


def image_grid(images, path, *, ncols=10, title=None):
  """Saves `[N, H, W, C]` images as one grid, `min(ncols, N)` per row."""
  images = _as_images(images)
  mosaic = make_mosaic(images, max(1, min(ncols, len(images))))
  return save_figure(_mosaic_figure(mosaic, title)[0], path)


def _labelled_grid(grid, path, title, row_labels=None, col_labels=None):
  """Saves `[R, S, H, W, C]` tiles as R rows by S columns with tick labels."""
  rows, cols, h, w, c = grid.shape
  fig, ax = _mosaic_figure(make_mosaic(grid.reshape(-1, h, w, c), cols), title)

  def centres(count, size):  # Tile centres in pixels along one axis.
    return [1 + k * (size + 1) + (size - 1) / 2 for k in range(count)]
  if row_labels is not None:
    ax.set_yticks(centres(rows, h), row_labels)
  if col_labels is not None:
    ax.set_xticks(centres(cols, w), col_labels)
  return save_figure(fig, path)


def labelled_grid(grid, path, *, title=None, row_labels=None,
                  col_labels=None):
  """Saves `[R, S, H, W, C]` images as R rows by S columns, with optional
  tick labels on both axes. Returns `path`."""
  return _labelled_grid(_as_images(grid, ndim=5), path, title,
                        row_labels=row_labels, col_labels=col_labels)


def labelled_rows(rows, path, *, title=None):
  """Saves image rows, one labelled row per `(label, [N, H, W, C])` pair.

  Every row holds the same number N of images of one shape; column j of every
  row shows example j (originals above reconstructions, masked above filled).
  Returns `path`.
  """
  labels = [label for label, _ in rows]
  grid = np.stack([_as_images(r) for _, r in rows])       # [R, N, H, W, C]
  if not grid.shape[1]:
    raise ValueError(f"expected non-empty rows of images, got {grid.shape}")
  return _labelled_grid(grid, path, title, row_labels=labels)


def reconstructions(inputs, recons, path, *, title="Reconstructions"):
  """Saves `[N, H, W, C]` inputs and their `[N, H, W, C]` reconstructions.

  Rows of up to 10 inputs alternate with rows of their reconstructions,
  labelled "input" and "reconstruction". Returns `path`.
  """
  inputs, recons = _as_images(inputs), _as_images(recons)
  if inputs.shape != recons.shape or not len(inputs):
    raise ValueError(f"inputs {inputs.shape} and reconstructions "
                     f"{recons.shape} must have the same non-empty shape")
  n, h, w, c = inputs.shape
  ncols = min(10, n)
  chunks = math.ceil(n / ncols)
  grid = np.full((chunks, 2, ncols, h, w, c), _PAD_VALUE, np.float32)
  for k in range(chunks):
    part = slice(k * ncols, min(n, (k + 1) * ncols))
    grid[k, 0, :part.stop - part.start] = inputs[part]
    grid[k, 1, :part.stop - part.start] = recons[part]
  return _labelled_grid(grid.reshape(2 * chunks, ncols, h, w, c), path, title,
                        row_labels=["input", "reconstruction"] * chunks)


def samples(images, path, *, title="Samples from the prior"):
  """Saves `[N, H, W, C]` generated images as a full grid: the first
  `rows * cols` of them, `(rows, cols) = grid_shape(N)` (all N when a
  column count of at most 10 divides N)."""
  images = _as_images(images)
  rows, cols = grid_shape(len(images))
  return image_grid(images[:rows * cols], path, ncols=cols, title=title)


def traversals(images, values, path, *, title="Latent traversals", dims=None,
               row_labels=None):
  """Saves `[L, S, H, W, C]` traversals: rows "z{dims[i]}" by `values` [S].

  `dims` names the latent unit moved in each row (default 0..L-1);
  `row_labels`, if given, replaces those names (e.g. "z3: scale").
  """
  images = _as_images(images, ndim=5)
  values = np.asarray(values, dtype=np.float64).reshape(-1)
  if len(values) != images.shape[1] or not images.shape[0]:
    raise ValueError(f"{len(values)} values for traversals {images.shape}")
  return _labelled_grid(images, path, title,
                        row_labels=list(row_labels) if row_labels else [
                            f"z{i}" for i in (range(len(images))
                                              if dims is None else dims)],
                        col_labels=[f"{v:.3g}" for v in values])


def interpolations(images, path, *, title="Interpolations"):
  """Saves `[P, S, H, W, C]` interpolations: P pairs (rows) by S steps."""
  images = _as_images(images, ndim=5)
  if not images.shape[0] or not images.shape[1]:
    raise ValueError(f"empty interpolations of shape {images.shape}")
  steps = np.linspace(0.0, 1.0, images.shape[1])
  return _labelled_grid(images, path, title,
                        col_labels=[f"{t:.2g}" for t in steps])


def pca_project(codes, k=2):
  """Projects `[N, D]` codes onto their top-k principal components.

  Args:
    codes: `[N, D]` array.
    k: number of components.

  Returns:
    `(projected, explained_ratio)`: `[N, k]` coordinates of the centred codes
    and `[k]` fractions of the total variance per component. Signs make each
    component's largest loading positive; components past the rank are zero.
  """
  codes = np.asarray(codes, dtype=np.float64)
  if codes.ndim != 2 or k < 1:
    raise ValueError(f"need [N, D] codes and k >= 1: {codes.shape}, k={k}")
  centred = codes - (codes.mean(axis=0) if len(codes) else 0.0)
  _, s, vt = np.linalg.svd(centred, full_matrices=False)
  r = min(k, len(s))
  signs = np.sign(vt[np.arange(r), np.abs(vt[:r]).argmax(axis=1)])
  vt = vt[:r] * signs[:, None]
  projected = np.zeros((len(codes), k))
  projected[:, :r] = centred @ vt.T
  ratio = np.zeros(k)
  ratio[:r] = s[:r] ** 2 / max(float(np.sum(s ** 2)), np.finfo(float).tiny)
  return projected, ratio


def latent_scatter(codes, labels, path, *, title="Latent space"):
  """Saves a 2-D scatter of latent codes coloured by label.

  Args:
    codes: `[N, D]` codes; D > 2 is projected with `pca_project`, D == 1 is
      drawn against the example index. Non-finite rows are dropped.
    labels: `[N]` integer labels, negative (or None: all) for unlabelled.
    path: where to write the PNG.
    title: figure title.

  Returns:
    `path`.
  """
  codes = np.asarray(codes, dtype=np.float64)
  labels = (np.full(len(codes), -1) if labels is None else
            np.asarray(labels).astype(np.int64).reshape(-1))
  if codes.ndim != 2 or not codes.size or len(labels) != len(codes):
    raise ValueError(f"codes {codes.shape} and labels {labels.shape} must be "
                     "a non-empty [N, D] and [N]")
  finite = np.all(np.isfinite(codes), axis=1)
  codes, labels, index = codes[finite], labels[finite], np.flatnonzero(finite)
  if codes.shape[1] > 2:
    xy, ratio = pca_project(codes, 2)
    names = [f"PC{i + 1} ({100 * ratio[i]:.1f}% var)" for i in range(2)]
  elif codes.shape[1] == 2:
    xy, names = codes, ["z1", "z2"]
  else:
    xy, names = np.stack([codes[:, 0], index], axis=1), ["z1", "index"]
  fig, ax = plt.subplots(figsize=(6.4, 5.2))
  size = float(np.clip(20000 / max(len(xy), 1), 3, 30))
  unlabelled = labels < 0
  if unlabelled.any():
    ax.scatter(*xy[unlabelled].T, s=size, linewidths=0, label="unlabelled",
               c="tab:blue" if unlabelled.all() else "lightgray")
  classes = np.unique(labels[~unlabelled])
  if len(classes) > 10:  # Too many for a legend: a colorbar instead.
    points = ax.scatter(*xy[~unlabelled].T, s=size, c=labels[~unlabelled],
                        cmap="viridis", linewidths=0)
    fig.colorbar(points, ax=ax, label="label")
  elif len(classes):
    for label in classes:
      ax.scatter(*xy[labels == label].T, s=size, linewidths=0,
                 label=str(label), color=plt.get_cmap("tab10")(label % 10))
    ax.legend(title="label", markerscale=max(1.0, 6 / math.sqrt(size)),
              fontsize="small")
  ax.set(xlabel=names[0], ylabel=names[1], title=title)
  fig.tight_layout()
  return save_figure(fig, path)
