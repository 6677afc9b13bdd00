"""Figures of image inpainting (Pathak et al. 2016, arXiv:1604.07379).

Like `viz/figures.py`: numpy in, one PNG written atomically (tmp file then
`os.replace`), path out. Images are `[N, H, W, C]` floats in [0, 1].
"""

from typing import Sequence

import numpy as np

from unsup_jax.viz import figures as viz

HOLE_SHADE = 0.5  # Gray shown in the hole of the masked input.


def show_hole(images: np.ndarray, mask: np.ndarray, *,
              shade: float = HOLE_SHADE) -> np.ndarray:
  """`[N, H, W, C]` images with the hole (`[N, H, W, 1]` mask = 1) painted
  `shade`, so a missing region is visible even on a black background."""
  images, mask = np.asarray(images), np.asarray(mask)
  return images * (1.0 - mask) + shade * mask


labelled_rows = viz.labelled_rows


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


def latent_loss(losses: np.ndarray, path: str, *,
                title: str = "GAN-prior inpainting: loss of the latent fit"
                ) -> str:
  """`[N, S]` per-image losses over the fit's steps: median and the 10-90%
  band."""
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  losses = np.asarray(losses, np.float64)
  steps = np.arange(losses.shape[1])
  fig, ax = plt.subplots(figsize=(6, 3.4))
  ax.plot(steps, np.median(losses, 0), color="tab:blue", label="median")
  ax.fill_between(steps, np.percentile(losses, 10, 0),
                  np.percentile(losses, 90, 0), color="tab:blue", alpha=0.2,
                  label="10-90% of images")
  ax.set(xlabel="Adam step on z", ylabel="contextual + perceptual loss",
         yscale="log", title=title)
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  fig.tight_layout()
  return viz.save_figure(fig, path)
