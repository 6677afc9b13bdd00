"""Figures of discrete-latent models: codebook use, code maps, samples.

What a person checks on a VQ-VAE (van den Oord et al. 2017,
arXiv:1711.00937): whether the codebook is used (usage histogram, perplexity
over training, dead codes) and what the codes look like spatially (each
image beside its code maps, one colour per code).
"""

import os

import matplotlib.pyplot as plt
import numpy as np

from unsup_jax.viz import figures as viz


def codebook_usage(usages, perplexity_curves, path, *, level_names,
                   title="Codebook usage"):
  """Per level: codes sorted by use (left), perplexity over training (right).

  Args:
    usages: per level, `[K]` counts of each code on the test set.
    perplexity_curves: per level, `[T, 2]` (step, perplexity) or None.
    path: PNG path.
    level_names: a name per level.
    title: figure title.

  Returns:
    `path`.
  """
  n = len(usages)
  fig, axes = plt.subplots(n, 2, figsize=(10, 2.8 * n + 0.6), squeeze=False)
  for row, (usage, curve, name) in enumerate(zip(usages, perplexity_curves,
                                                 level_names)):
    usage = np.asarray(usage, np.float64)
    share = np.sort(usage)[::-1] / max(usage.sum(), 1.0)
    dead = int(np.sum(usage == 0))
    ax = axes[row, 0]
    ax.bar(np.arange(len(share)), share, width=1.0, color="tab:blue")
    ax.set(title=f"{name}: {len(share) - dead}/{len(share)} codes used "
           f"({dead} dead)", xlabel="code (sorted by use)", ylabel="share")
    ax = axes[row, 1]
    if curve is not None and len(curve):
      curve = np.asarray(curve)
      ax.plot(curve[:, 0], curve[:, 1], color="tab:orange")
    ax.axhline(len(share), color="gray", linestyle="--", linewidth=1,
               label=f"K = {len(share)}")
    ax.set(title=f"{name}: perplexity (training batches)", xlabel="step",
           yscale="log")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
  fig.suptitle(title)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def code_maps(images, indices, path, *, num_codes, level_names,
              title="Images and their code maps"):
  """Each image beside its code map at every level, one colour per code.

  Args:
    images: `[N, H, W, C]` images in [0, 1].
    indices: per level, `[N, h, w]` int code maps.
    path: PNG path.
    num_codes: K (fixes the colour of each code).
    level_names: a name per level.
    title: figure title.

  Returns:
    `path`.
  """
  images = viz._as_images(images)  # pylint: disable=protected-access
  n = len(images)
  cols = 1 + len(indices)
  fig, axes = plt.subplots(n, cols, figsize=(1.6 * cols, 1.6 * n + 0.5),
                           squeeze=False)
  cmap = plt.get_cmap("nipy_spectral")
  for i in range(n):
    img = images[i]
    axes[i, 0].imshow(img[..., 0] if img.shape[-1] == 1 else img,
                      cmap="gray", vmin=0, vmax=1)
    for j, level in enumerate(indices):
      axes[i, 1 + j].imshow(np.asarray(level[i]), cmap=cmap, vmin=0,
                            vmax=num_codes - 1, interpolation="nearest")
  for j, name in enumerate(("image",) + tuple(level_names)):
    axes[0, j].set_title(name, fontsize=9)
  for ax in axes.flat:
    ax.set(xticks=[], yticks=[])
  fig.suptitle(title)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def perplexity_curves(records, level_names):
  """Per level, `[T, 2]` (step, training perplexity) from the logged
  records."""
  curves = []
  for name in level_names:
    key = f"perplexity_{name}"
    pts = [(r["step"], r[key]) for r in records if key in r and "step" in r]
    curves.append(np.array(pts, np.float64).reshape(-1, 2))
  return curves


def make(outdir, *, images, recons, indices, all_indices, num_codes,
         level_names, samples=None, history=()):
  """The VQ-VAE figure set; returns `{name: path}`.

  Args:
    outdir: the run's figures folder.
    images, recons: `[N, H, W, C]` test images and reconstructions.
    indices: per level `[N, h, w]` code maps of `images`.
    all_indices: per level, the code maps of the whole test set.
    num_codes: K.
    level_names: a name per level.
    samples: `[M, H, W, C]` images decoded from prior samples, or None.
    history: the run's logged training records (perplexity curves).
  """
  paths = {
      "reconstructions": viz.reconstructions(
          images, recons, os.path.join(outdir, "reconstructions.png")),
      "codebook_usage": codebook_usage(
          [np.bincount(np.asarray(a).reshape(-1), minlength=num_codes)
           for a in all_indices],
          perplexity_curves(history, level_names),
          os.path.join(outdir, "codebook_usage.png"),
          level_names=level_names),
      "code_maps": code_maps(
          images[:6], [i[:6] for i in indices],
          os.path.join(outdir, "code_maps.png"), num_codes=num_codes,
          level_names=level_names),
  }
  if samples is not None:
    paths["samples"] = viz.samples(samples, os.path.join(outdir,
                                                         "samples.png"))
  return paths
