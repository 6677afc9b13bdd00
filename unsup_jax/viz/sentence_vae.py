"""Figures of the sentence VAE (Bowman et al. 2016) and posterior collapse.

- `annealing_curves`: the KL term and its weight over training (two
  axes), beside the reconstruction term: the figure Bowman et al. use to
  explain KL annealing (their Figure 2);
- `collapse_curves`: the validation KL, active units and mutual
  information I(x; z) over training, the diagnostics of collapse;
- `kl_per_unit`: each latent unit's mean KL on the test set.

Plotting only: records as in `metrics.jsonl`, no model calls.
"""

import numpy as np

from unsup_jax.viz.figures import plt, save_figure


def _series(records, key):
  points = sorted((float(r["step"]), float(r[key])) for r in records
                  if key in r and "step" in r and np.isfinite(r[key]))
  return np.array(points).reshape(-1, 2)


def annealing_curves(records, path: str) -> str:
  """KL (left axis) and KL weight (right axis) against step, and the
  reconstruction term, from the training records."""
  fig, (ax, ax_rec) = plt.subplots(1, 2, figsize=(10, 3.4))
  kl, weight = _series(records, "loss_kl"), _series(records, "kl_weight")
  rec = _series(records, "loss_rec")
  if len(kl):
    ax.plot(kl[:, 0], kl[:, 1], color="tab:blue", label="KL term (nats)")
  ax.set(xlabel="step", ylabel="KL(q(z|x) || p(z)), nats")
  ax.grid(alpha=0.3)
  if len(weight):
    twin = ax.twinx()
    twin.plot(weight[:, 0], weight[:, 1], color="tab:orange",
              linestyle="--", label="KL weight")
    twin.set(ylabel="KL weight", ylim=(-0.02, max(1.02, weight[:, 1].max())))
    lines = ax.get_lines() + twin.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="center right",
              fontsize=8)
  ax.set_title("KL term and its weight")
  ax_rec.plot(rec[:, 0], rec[:, 1], color="tab:green")
  ax_rec.set(xlabel="step", ylabel="-log p(x|z), nats per sentence",
             title="Reconstruction term")
  ax_rec.grid(alpha=0.3)
  fig.tight_layout()
  return save_figure(fig, path)


def collapse_curves(records, path: str) -> str:
  """Validation KL, active units and I(x; z) against step."""
  keys = [("eval_loss_kl", "KL (nats)"),
          ("eval_active_units", "active units"),
          ("eval_mutual_info", "I(x; z) (nats)")]
  fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
  for ax, (key, label) in zip(axes, keys):
    s = _series(records, key)
    if len(s):
      ax.plot(s[:, 0], s[:, 1], marker="o", markersize=3, color="tab:purple")
    ax.set(xlabel="step", title=label)
    ax.grid(alpha=0.3)
  fig.suptitle("Posterior collapse diagnostics (validation sentences)")
  fig.tight_layout()
  return save_figure(fig, path)


def kl_per_unit(kl_units, path: str) -> str:
  """Bars of each latent unit's mean KL (nats), largest first."""
  kl = np.sort(np.asarray(kl_units, np.float64))[::-1]
  fig, ax = plt.subplots(figsize=(max(4, 0.3 * len(kl) + 1.5), 3))
  ax.bar(np.arange(len(kl)), kl, color="tab:blue")
  ax.axhline(0.01, color="grey", linewidth=0.8, linestyle=":")
  ax.set(xlabel="latent unit (sorted)", ylabel="mean KL, nats",
         title=f"KL per latent unit (total {kl.sum():.2f} nats)")
  fig.tight_layout()
  return save_figure(fig, path)
