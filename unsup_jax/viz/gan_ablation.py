"""Figures and the table of the GAN stabiliser ablation."""

import matplotlib.pyplot as plt
import numpy as np

from unsup_jax.viz import figures as viz


def _fid_points(records) -> dict:
  """`{step: FID}` of one sub-run's log: periodic and final evaluations."""
  out = {}
  for r in records:
    for key in ("eval_fid", "test_fid"):
      if key in r and "step" in r and np.isfinite(r[key]):
        out[int(r["step"])] = float(r[key])
  return out


def fid_curves(curves, path, *, floor=None, final=None, final_step=None,
               title="FID during training: mean over seeds, band = range"):
  """`curves`: `{variant: [records of each seed]}`. `final` (`{variant:
  [final FID of each seed]}`, the study's own evaluation) is plotted at
  `final_step`, where the training logs have no evaluation of their own."""
  fig, ax = plt.subplots(figsize=(7.5, 4.2))
  for i, (variant, runs) in enumerate(curves.items()):
    points = [_fid_points(r) for r in runs]
    if final is not None and final_step is not None:
      for p, value in zip(points, final.get(variant, [])):
        p.setdefault(int(final_step), float(value))
    steps = sorted(set.intersection(*(set(p) for p in points))
                   if points else set())
    if not steps:
      continue
    values = np.asarray([[p[s] for s in steps] for p in points])
    color = plt.cm.tab10(i % 10)
    ax.plot(steps, values.mean(0), marker="o", ms=3, color=color,
            label=variant)
    ax.fill_between(steps, values.min(0), values.max(0), color=color,
                    alpha=0.15)
  if floor is not None:
    ax.axhline(floor, color="gray", linestyle="--",
               label=f"floor: train vs test ({floor:.1f})")
  ax.set(xlabel="step", ylabel="FID", yscale="log", title=title)
  ax.grid(alpha=0.3)
  ax.legend(fontsize=7, ncol=2)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def final_fid(scores, path, *, floor=None,
              title="Final FID per variant (mean and std over seeds)"):
  """`scores`: `{variant: [final FID of each seed]}`."""
  names = list(scores)
  values = [np.asarray(scores[n], np.float64) for n in names]
  fig, ax = plt.subplots(figsize=(max(5.0, 0.8 * len(names) + 2), 3.8))
  x = np.arange(len(names))
  ax.bar(x, [v.mean() for v in values],
         yerr=[v.std(ddof=1) if len(v) > 1 else 0.0 for v in values],
         color="tab:orange", capsize=3)
  for xi, v in zip(x, values):
    ax.scatter(np.full(len(v), xi), v, color="black", s=8, zorder=3)
  if floor is not None:
    ax.axhline(floor, color="gray", linestyle="--", label="real-data floor")
    ax.legend(fontsize=8)
  ax.set_xticks(x, names, rotation=30, ha="right")
  ax.set(ylabel="FID", title=title)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def results_table(results: dict, variants, seeds, switched_on) -> str:
  """Markdown: variant, stabilisers on, FID and KID mean +- std."""
  lines = [f"Final FID and KID over seeds {', '.join(map(str, seeds))} "
           f"(floor: FID {results.get('test_fid_floor', float('nan')):.2f}, "
           f"KID {results.get('test_kid_floor', float('nan')):.4f}).", "",
           "| variant | stabilisers on | FID | KID |",
           "| --- | --- | ---: | ---: |"]
  for v in variants:
    f = lambda k: (f"{results[f'test_{k}_{v}_mean']:.2f} ± "
                   f"{results[f'test_{k}_{v}_std']:.2f}")
    lines.append(f"| {v} | {', '.join(switched_on[v]) or 'none'} | "
                 f"{f('fid')} | {f('kid')} |")
  return "\n".join(lines)
