"""Figures of image inpainting (Pathak et al. 2016, arXiv:1604.07379).

Like `viz/figures.py`: numpy in, one PNG written atomically (tmp file then
`os.replace`), path out. Images are `[N, H, W, C]` floats in [0, 1].
"""

import os
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np

from unsup_jax.viz import figures as viz

HOLE_SHADE = 0.5  # Gray shown in the hole of the masked input.


def show_hole(images: np.ndarray, mask: np.ndarray, *,
              shade: float = HOLE_SHADE) -> np.ndarray:
  """`[N, H, W, C]` images with the hole (`[N, H, W, 1]` mask = 1) painted
  `shade`, so a missing region is visible even on a black background."""
  images, mask = np.asarray(images), np.asarray(mask)
  return images * (1.0 - mask) + shade * mask


def labelled_rows(rows: Sequence[tuple[str, np.ndarray]], path: str, *,
                  title: str | None = None) -> str:
  """Saves image rows, one labelled row per `(label, [N, H, W, C])` pair.

  Every row must hold the same number N of images of the same shape; column
  j of every row shows example j. Returns `path`.
  """
  labels = [label for label, _ in rows]
  grid = np.stack([np.clip(np.nan_to_num(np.asarray(r, np.float32)), 0, 1)
                   for _, r in rows])                    # [R, N, H, W, C]
  if grid.ndim != 5 or grid.shape[-1] not in (1, 3) or not grid.shape[1]:
    raise ValueError(f"expected rows of [N, H, W, C] images, got {grid.shape}")
  r, n, h, w, c = grid.shape
  mosaic = viz.make_mosaic(grid.reshape(r * n, h, w, c), n)
  height, width = mosaic.shape[:2]
  scale = min(8.0, max(1.0, 900.0 / max(height, width)))  # Screen px / pixel.
  fig, ax = plt.subplots(figsize=(max(3.0, width * scale / 100 + 1.6),
                                  max(2.0, height * scale / 100 + 0.8)))
  ax.imshow(mosaic[..., 0] if c == 1 else mosaic,
            cmap="gray" if c == 1 else None, vmin=0.0, vmax=1.0,
            interpolation="nearest")
  ax.set(xticks=[], title=title or "")
  ax.set_yticks([1 + k * (h + 1) + (h - 1) / 2 for k in range(r)], labels)
  ax.tick_params(length=0)
  return viz.save_figure(fig, path)


def inpainting_triplets(masked: np.ndarray, filled: np.ndarray,
                        original: np.ndarray, path: str, *,
                        extra_rows: Sequence[tuple[str, np.ndarray]] = (),
                        title: str = "Inpainting") -> str:
  """Rows "masked" (hole shown gray), "filled" and "original".

  Args:
    masked: `[N, H, W, C]` inputs with the hole painted (see `show_hole`).
    filled: `[N, H, W, C]` known pixels plus the model's hole.
    original: `[N, H, W, C]` the complete images.
    path: PNG to write.
    extra_rows: more `(label, images)` rows inserted before "original"
      (e.g. a baseline fill).
    title: figure title.

  Returns:
    `path`.
  """
  rows = [("masked", masked), ("filled", filled), *extra_rows,
          ("original", original)]
  return labelled_rows(rows, path, title=title)
