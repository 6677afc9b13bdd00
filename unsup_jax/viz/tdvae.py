"""Figures of TD-VAE runs (`methods/sequences/tdvae.py`): prediction error and
log-likelihood against the jump, against the Kalman optimum where there is
one; rollout error per step ahead; rollout strips (observed frames, then
sampled futures); the belief's estimate of an oscillator's position with
its uncertainty band against the truth and the Kalman filter.

`figures(outputs, outdir)` draws what `methods/tdvae_eval.Evaluator`
returned; nothing here runs a model.
"""

import os

import numpy as np

from unsup_jax.viz import figures as viz
from unsup_jax.viz.figures import plt

STYLE = {"tdvae": dict(color="C0", marker="o", label="TD-VAE"),
         "tdvae_jumpy": dict(color="C0", marker="s", linestyle="none",
                             label="TD-VAE, jumps of D"),
         "kalman": dict(color="black", linestyle="--", marker=".",
                        label="Kalman filter (optimum)"),
         "lstm": dict(color="C1", marker="^", label="LSTM predictor"),
         "copy": dict(color="C2", linestyle=":", marker="x",
                      label="copy last frame")}
BLANK = 0.25  # Gray of the frames a rollout does not predict.


def prediction_error(per_jump: dict, path: str) -> str:
  """MSE and predictive log-likelihood against the jump d, per model; the
  best-of-K error where the models have one; on switching digits the
  spread of sampled positions beside the true spread."""
  models = {m: d for m, d in per_jump.items() if m != "spread"}
  panels = [("mse", "mean squared error", "Prediction error of x_{t+d} "
             "from b_t"), ("ll", "log-likelihood (nats per frame)",
                           "Predictive log-likelihood")]
  if any("best" in d for d in models.values()):
    panels.append(("best", "best-of-K squared error",
                   "Error of the closest sample"))
  spread = per_jump.get("spread")
  fig, axes = plt.subplots(1, len(panels) + (spread is not None),
                           figsize=(5 * (len(panels) + (spread is not None)),
                                    3.8))
  size = len(next(iter(models.values()))["mse"])
  jumps = np.arange(1, size + 1)
  for ax, (key, label, title) in zip(axes, panels):
    for name, d in models.items():
      if key in d:
        ax.plot(jumps, d[key], **STYLE[name])
    ax.set(xlabel="jump d (steps ahead)", ylabel=label, title=title)
  if spread is not None:
    axes[-1].plot(jumps, spread["tdvae"], **STYLE["tdvae"])
    axes[-1].plot(jumps, spread["true"], color="black", linestyle="--",
                  marker=".", label="true (the generator's)")
    axes[-1].axhline(0.0, **dict(STYLE["lstm"], marker=None))
    axes[-1].set(xlabel="jump d (steps ahead)",
                 ylabel="std of the displacement (pixels)",
                 title="Spread of sampled positions")
    axes[-1].legend(fontsize=8)
  for ax in axes:
    ax.grid(alpha=0.3)
    ax.set_xticks(jumps)
  axes[0].legend(fontsize=8)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def rollout_error(per_step: dict, max_jump: int, observe: int,
                  path: str) -> str:
  """MSE of the mean rollout against the steps ahead."""
  fig, ax = plt.subplots(figsize=(6.5, 3.8))
  for name, errors in per_step.items():
    scale = max_jump if name == "tdvae_jumpy" else 1
    ax.plot(scale * np.arange(1, len(errors) + 1), errors, **STYLE[name])
  ax.set(xlabel=f"steps ahead of frame {observe}",
         ylabel="mean squared error", title="Rollout error per step ahead")
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def _image_strip(shown: dict, observe: int, path: str) -> str:
  truth, samples, jump = shown["truth"], shown["samples"], shown["jump"]
  r, length = truth.shape[:2]
  s, k = samples.shape[1:3]
  grid = np.full((r, 1 + s, length) + truth.shape[2:], BLANK, np.float32)
  grid[:, 0] = truth
  at = observe - 1 + jump * np.arange(1, k + 1)
  grid[:, 1:, at] = samples
  labels = [label for i in range(r) for label in
            [f"seq {i}: truth"] + [f"sample {j + 1}" for j in range(s)]]
  return viz.labelled_grid(
      grid.reshape((r * (1 + s),) + grid.shape[2:]), path,
      row_labels=labels, col_labels=[str(t + 1) for t in range(length)],
      title=f"Rollouts: frames 1-{observe} seen, then sampled futures "
            f"(jumps of {jump})")


def _line_strip(shown: dict, observe: int, path: str) -> str:
  truth, samples, jump = shown["truth"], shown["samples"], shown["jump"]
  r, length = truth.shape[:2]
  k = samples.shape[2]
  fig, axes = plt.subplots(r, 1, figsize=(8, 2.4 * r), squeeze=False)
  t = np.arange(1, length + 1)
  at = observe + jump * np.arange(1, k + 1)
  for i, ax in enumerate(axes[:, 0]):
    ax.plot(t[:observe], truth[i, :observe, 0], "k.", label="observed")
    ax.plot(t[observe:], truth[i, observe:, 0], ".", color="gray",
            label="future (not seen)")
    for j in range(samples.shape[1]):
      ax.plot(at, samples[i, j, :, 0], color="C0", alpha=0.6, lw=1,
              label="TD-VAE samples" if j == 0 else None)
    if "kalman" in shown:
      mean, std = shown["kalman"]["mean"][i], shown["kalman"]["std"][i]
      future = np.arange(observe + 1, observe + 1 + len(mean))
      ax.plot(future, mean, "k--", lw=1, label="Kalman mean ± 2 sd")
      ax.fill_between(future, mean - 2 * std, mean + 2 * std, color="black",
                      alpha=0.1)
    ax.axvline(observe + 0.5, color="gray", lw=0.8)
    ax.grid(alpha=0.3)
    ax.set(ylabel=f"seq {i}")
  axes[0, 0].legend(fontsize=7, ncol=4)
  axes[0, 0].set_title(f"Rollouts: {observe} observations seen, then "
                       f"sampled futures (jumps of {jump})")
  axes[-1, 0].set_xlabel("t")
  fig.tight_layout()
  return viz.save_figure(fig, path)


def rollout_strip(shown: dict, observe: int, path: str) -> str:
  """Observed frames, then several sampled futures: an image grid for
  image frames, a line plot (first observed value) otherwise."""
  if shown["truth"].ndim == 5:
    return _image_strip(shown, observe, path)
  return _line_strip(shown, observe, path)


def belief_track(track: dict, path: str) -> str:
  """The belief's decoded position (mean and 5-95% band) at every t of one
  sequence, the Kalman filter's position (mean ± 2 sd), the truth."""
  fig, ax = plt.subplots(figsize=(8, 3.6))
  t = np.arange(1, len(track["observed"]) + 1)
  ax.fill_between(t, track["model_low"], track["model_high"], color="C0",
                  alpha=0.25, label="TD-VAE belief: 5-95%")
  ax.plot(t, track["model_mean"], color="C0", label="TD-VAE belief: mean")
  mean, std = track["kalman_mean"], track["kalman_std"]
  ax.plot(t, mean, "k--", lw=1, label="Kalman filter ± 2 sd")
  ax.fill_between(t, mean - 2 * std, mean + 2 * std, color="black",
                  alpha=0.08)
  if "true" in track:
    ax.plot(t, track["true"], color="C3", lw=1, label="true position")
  ax.plot(t, track["observed"], "k.", ms=4, label="observations")
  ax.set(xlabel="t", ylabel="position",
         title="What the belief b_t knows about the position at t")
  ax.grid(alpha=0.3)
  ax.legend(fontsize=7, ncol=3)
  fig.tight_layout()
  return viz.save_figure(fig, path)


def figures(outputs: dict, outdir: str) -> dict:
  """Every figure the outputs allow: `{name: path}`."""
  path = lambda name: os.path.join(outdir, f"{name}.png")
  figs = {}
  if "per_jump" in outputs:
    figs["prediction_error"] = prediction_error(outputs["per_jump"],
                                                path("prediction_error"))
  if "per_step" in outputs:
    figs["rollout_error"] = rollout_error(
        outputs["per_step"], outputs["max_jump"], outputs["observe"],
        path("rollout_error"))
  if "rollouts" in outputs:
    figs["rollouts"] = rollout_strip(outputs["rollouts"], outputs["observe"],
                                     path("rollouts"))
  if "belief" in outputs:
    figs["belief"] = belief_track(outputs["belief"], path("belief"))
  return figs
