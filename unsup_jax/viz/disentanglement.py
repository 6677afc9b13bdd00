"""Figures of disentanglement: the unit-by-factor mutual information, the
KL of each latent unit, and metrics over methods and seeds."""

import os

import matplotlib.pyplot as plt
import numpy as np

from unsup_jax.viz import figures as viz


def mi_heatmap(mi, factor_names, path, *,
               title="Mutual information of latent units with factors"):
  """`mi` `[D, K]` (nats) as a heat map, units as rows."""
  mi = np.asarray(mi, np.float64)
  fig, ax = plt.subplots(figsize=(1.0 + 0.9 * mi.shape[1],
                                  1.2 + 0.35 * mi.shape[0]))
  im = ax.imshow(mi, cmap="viridis", aspect="auto", vmin=0)
  ax.set_xticks(range(mi.shape[1]), factor_names, rotation=30, ha="right")
  ax.set_yticks(range(mi.shape[0]), [f"z{i}" for i in range(mi.shape[0])])
  for (i, j), v in np.ndenumerate(mi):
    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6,
            color="white" if v < 0.6 * max(mi.max(), 1e-12) else "black")
  fig.colorbar(im, ax=ax, label="nats")
  ax.set_title(title, fontsize=9)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def kl_per_unit(kl, path, *, title="KL(q(z_d|x) || p(z_d)) per unit, test "
                "mean"):
  kl = np.asarray(kl, np.float64)
  fig, ax = plt.subplots(figsize=(max(4.0, 0.4 * len(kl) + 1.5), 3.0))
  ax.bar(np.arange(len(kl)), kl, color="tab:blue")
  ax.set_xticks(range(len(kl)), [f"z{i}" for i in range(len(kl))])
  ax.set(ylabel="nats", title=title)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def metric_strips(values, path, *, title="Metrics over methods and seeds"):
  """`values`: `{metric: {method: [value per seed]}}`, one panel per metric,
  each seed a dot and the mean a bar (as Locatello et al. 2019 show)."""
  metrics = list(values)
  # One colour per method in every panel, also where a panel lacks some.
  every = list(dict.fromkeys(m for metric in metrics for m in values[metric]))
  cols = min(4, len(metrics))
  rows = -(-len(metrics) // cols)
  fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.8 * rows),
                           squeeze=False)
  for ax, metric in zip(axes.flat, metrics):
    methods = list(values[metric])
    for i, m in enumerate(methods):
      v = np.asarray(values[metric][m], np.float64)
      ax.scatter(np.full(len(v), i) + np.linspace(-0.1, 0.1, len(v)), v,
                 s=10, color="black", zorder=3)
      ax.bar(i, np.mean(v), color=plt.cm.tab10(every.index(m) % 10),
             alpha=0.6)
    ax.set_xticks(range(len(methods)), methods, rotation=45, ha="right",
                  fontsize=7)
    ax.set_title(metric, fontsize=8)
  for ax in list(axes.flat)[len(metrics):]:
    ax.axis("off")
  fig.suptitle(title, fontsize=10)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def representation_figures(outputs: dict, outdir: str) -> dict:
  """The figures of `eval.disentanglement.representation.evaluate`'s
  outputs (none when there are none): the unit-by-factor mutual
  information and, for a VAE, the KL of each unit."""
  if "mi" not in outputs:
    return {}
  path = lambda name: os.path.join(outdir, f"{name}.png")
  figs = {"mutual_information": mi_heatmap(
      outputs["mi"], outputs["factor_names"], path("mutual_information"))}
  if "kl_per_unit" in outputs:
    figs["kl_per_unit"] = kl_per_unit(outputs["kl_per_unit"],
                                      path("kl_per_unit"))
  return figs
