"""Figures of GAN training: samples over time, FID and losses, classes.

What a person checks on a GAN (Goodfellow et al. 2014, arXiv:1406.2661):
whether samples improve (the same noise vectors decoded at several points of
training), whether FID falls towards the real-data floor while the two
losses stay balanced, and whether every class is generated (mode collapse).
"""

import matplotlib.pyplot as plt
import numpy as np

from unsup_jax.viz import figures as viz


def samples_during_training(snapshots, path, *, max_rows=8,
                            title="Samples from fixed noise during training"):
  """One labelled row per step: `{step: [N, H, W, C]}` images.

  At most `max_rows` steps are shown, spread evenly, the last always.
  """
  steps = sorted(snapshots)
  if not steps:
    raise ValueError("no snapshots to show")
  if len(steps) > max_rows:
    picks = np.unique(np.linspace(0, len(steps) - 1, max_rows).round()
                      .astype(int))
    steps = [steps[i] for i in picks]
  return viz.labelled_rows([(f"step {s}", snapshots[s]) for s in steps],
                           path, title=title)


def _series(records, key):
  pts = [(r["step"], r[key]) for r in records
         if key in r and "step" in r and np.isfinite(r[key])]
  return np.array(pts, np.float64).reshape(-1, 2)


def fid_and_losses(records, path, *, floor=None, final=None,
                   title="FID during training and the two losses"):
  """FID (and KID) of quick evaluations, with the real-data floor; the
  discriminator's and generator's training losses.

  Args:
    records: metrics.jsonl records (`eval_fid`, `eval_kid`, `d_loss`,
      `g_loss`).
    path: PNG path.
    floor: FID of real train vs real test, drawn as a line (or None).
    final: `(step, FID)` of the final evaluation, appended to the curve.
    title: figure title.
  """
  fig, (ax_fid, ax_loss) = plt.subplots(1, 2, figsize=(10, 3.4))
  fid = _series(records, "eval_fid")
  if final is not None:
    fid = np.concatenate([fid, np.asarray([final], np.float64)])
  if len(fid):
    ax_fid.plot(fid[:, 0], fid[:, 1], marker="o", color="tab:orange",
                label="FID (generated vs test)")
  if floor is not None:
    ax_fid.axhline(floor, color="gray", linestyle="--",
                   label=f"floor: train vs test ({floor:.1f})")
  if not len(fid) and floor is None:
    ax_fid.text(0.5, 0.5, "no FID (no feature network for these images)",
                ha="center", va="center", transform=ax_fid.transAxes)
  else:
    ax_fid.set(yscale="log")
    ax_fid.legend(fontsize=8)
  ax_fid.set(xlabel="step", ylabel="FID", title="FID")
  ax_fid.grid(alpha=0.3)
  for key, color in (("d_loss", "tab:blue"), ("g_loss", "tab:red")):
    series = _series(records, key)
    if len(series):
      ax_loss.plot(series[:, 0], series[:, 1], color=color, label=key)
  ax_loss.set(xlabel="step", title="losses")
  ax_loss.grid(alpha=0.3)
  ax_loss.legend(fontsize=8)
  fig.suptitle(title)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def class_histogram(generated_counts, real_counts, path, *,
                    title="Classes of generated samples (feature classifier)"):
  """Bars of the generated class shares beside the real test shares."""
  gen = np.asarray(generated_counts, np.float64)
  classes = np.arange(len(gen))
  fig, ax = plt.subplots(figsize=(6.5, 3.2))
  width = 0.4 if real_counts is not None else 0.8
  ax.bar(classes - (width / 2 if real_counts is not None else 0),
         gen / max(gen.sum(), 1), width, label="generated", color="tab:orange")
  if real_counts is not None:
    real = np.asarray(real_counts, np.float64)
    ax.bar(classes + width / 2, real / max(real.sum(), 1), width,
           label="real test", color="tab:blue")
  ax.set(xticks=classes, xlabel="predicted class", ylabel="share",
         title=title)
  ax.legend(fontsize=8)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def ema_and_raw(ema_images, raw_images, path, *, max_cols=10,
                title="Same noise: averaged generator (left) and raw (right)"):
  """Two full grids of `[N, H, W, C]` samples side by side, the same noise
  in the same place: the first `rows * cols` of each, `(rows, cols) =
  figures.grid_shape(N, max_cols)`."""
  ema_images = viz._as_images(ema_images)  # pylint: disable=protected-access
  raw_images = viz._as_images(raw_images)  # pylint: disable=protected-access
  if ema_images.shape != raw_images.shape:
    raise ValueError(f"EMA samples {ema_images.shape} and raw samples "
                     f"{raw_images.shape} must have one shape")
  rows, cols = viz.grid_shape(len(ema_images), max_cols)
  fig, axes = plt.subplots(1, 2, figsize=(9, 4.3 * rows / cols + 0.8))
  for ax, images, name in ((axes[0], ema_images, "EMA generator"),
                           (axes[1], raw_images, "raw generator")):
    mosaic = viz.make_mosaic(images[:rows * cols], cols)
    ax.imshow(mosaic[..., 0] if mosaic.shape[-1] == 1 else mosaic,
              cmap="gray", vmin=0.0, vmax=1.0)
    ax.set(title=name, xticks=[], yticks=[])
  fig.suptitle(title)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def nearest_training_images(samples, nearest, path, *,
                            title="Samples (top) and their nearest training "
                                  "images in pixel space (bottom)"):
  """The memorisation check: each sample above its nearest neighbour."""
  return viz.labelled_rows([("generated", samples),
                            ("nearest train", nearest)], path, title=title)
