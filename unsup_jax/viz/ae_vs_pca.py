"""Figures and table of the autoencoder-vs-PCA comparison.

Hinton & Salakhutdinov (2006), Science 313, Fig. 2: held-out reconstructions
of a deep autoencoder beside PCA's with the same code size. Like
`viz/figures.py`: numpy in, one Agg figure per call, written atomically (a
temporary file moved into place) to `path`, which is returned.
"""

import matplotlib.pyplot as plt
import numpy as np

from unsup_jax.viz import figures as viz


def mse_vs_size(table, path, *, log_y=True,
                title="Held-out reconstruction error by code size"):
  """Saves one line per model: MSE per pixel against the code size k.

  Args:
    table: `{model label: {k: mse}}`, k > 0, mse > 0 when `log_y`.
    path: where to write the PNG.
    log_y: logarithmic MSE axis.
    title: figure title.

  Returns:
    `path`.
  """
  fig, ax = plt.subplots(figsize=(5.5, 4.0))
  styles = [("-", "o"), ("--", "s"), ("-", "^"), ("-.", "D"), (":", "v")]
  for i, (label, by_k) in enumerate(table.items()):
    ks = sorted(by_k)
    line, marker = styles[i % len(styles)]
    ax.plot(ks, [by_k[k] for k in ks], linestyle=line, marker=marker,
            label=label)  # dashes keep lines that overlap (PCA, linear) apart
  ks = sorted({k for by_k in table.values() for k in by_k})
  ax.set_xscale("log")
  ax.set_xticks(ks, [str(k) for k in ks])
  ax.minorticks_off()
  if log_y:
    ax.set_yscale("log")
  ax.set_xlabel("code size k")
  ax.set_ylabel("test MSE per pixel")
  ax.set_title(title)
  ax.grid(True, which="both", alpha=0.3)
  ax.legend()
  fig.tight_layout()
  return viz.save_figure(fig, path)


def reconstruction_rows(originals, rows, path, *, title="Reconstructions"):
  """Saves the originals above one row of reconstructions per model.

  Args:
    originals: `[N, H, W, C]` images in [0, 1].
    rows: `{model label: [N, H, W, C] reconstructions}` (clipped for display).
    path: where to write the PNG.
    title: figure title.

  Returns:
    `path`.
  """
  originals = np.asarray(originals, np.float32)
  if originals.ndim == 3:
    originals = originals[..., None]
  return viz.labelled_rows(
      [("original", originals)] +
      [(label, np.asarray(r, np.float32).reshape(originals.shape))
       for label, r in rows.items()], path, title=title)


def results_table(results, models, sizes, labels=None, *, prefix="test_"):
  """Markdown table of `results[f"{prefix}mse_{model}_k{k}"]`.

  Args:
    results: the final metrics.
    models: row order (model keys).
    sizes: column order (code sizes).
    labels: `{model: row label}` (default: the keys).
    prefix: prefix of the result names.

  Returns:
    A markdown section: the table (rows = model, columns = k, best of each
    column in bold) and which models beat PCA at every size.
  """
  labels = labels or {}
  get = lambda m, k: results.get(f"{prefix}mse_{m}_k{k}")
  head = "| model | " + " | ".join(f"k = {k}" for k in sizes) + " |"
  lines = [head, "| --- |" + " ---: |" * len(sizes)]
  best = {k: min((get(m, k) for m in models if get(m, k) is not None),
                 default=None) for k in sizes}
  for m in models:
    cells = []
    for k in sizes:
      v = get(m, k)
      cells.append("n/a" if v is None else
                   (f"**{v:.4f}**" if v == best[k] else f"{v:.4f}"))
    lines.append(f"| {labels.get(m, m)} | " + " | ".join(cells) + " |")
  verdicts = []
  for m in models:
    if m == "pca":
      continue
    pairs = [(get(m, k), get("pca", k)) for k in sizes]
    if all(a is not None and b is not None for a, b in pairs):
      wins = sum(a < b for a, b in pairs)
      verdicts.append(f"{labels.get(m, m)} beats PCA at {wins} of "
                      f"{len(sizes)} sizes.")
  return ("Held-out reconstruction error (mean squared error per pixel, "
          "gray pixels in [0, 1]) by code size k:\n\n" + "\n".join(lines) +
          ("\n\n" + " ".join(verdicts) if verdicts else ""))
