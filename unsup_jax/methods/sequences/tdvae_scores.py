"""Scores of TD-VAE's predictions that read more than squared error
(`tdvae_eval.py` computes the predictions): the spread of sampled digit
positions beside the switching digits' exact spread, what the mnist5k
classifier reads in rollouts, and the metric names of the per-jump and
per-step errors. Functions taking `st` take the evaluation's `Setting`."""

import numpy as np

from unsup_jax.data import sequences
from unsup_jax.eval import feature_classifier, sequences as seq_eval
from unsup_jax.methods.sequences.tdvae_report import horizon_steps


def sample_spread(columns, now_centre) -> float:
  """The spread of sampled positions: the root mean (over scored
  predictions) of the variance (over samples) of each sample's
  displacement from the current position. `columns` `[N, S, W]` column
  masses of the samples, `now_centre` `[N]` the current centres."""
  width = columns.shape[-1]
  moved = seq_eval.wrapped(seq_eval.column_centre(columns) -
                           now_centre[:, None], width)
  return float(np.sqrt(np.nanmean(np.nanvar(moved, axis=1))))


def true_spread(switch_prob: float, jump: int) -> float:
  """The standard deviation of a switching digit's displacement `jump`
  steps ahead, given its past (`data.sequences.switching_displacement`)."""
  p = sequences.switching_displacement(switch_prob, jump)
  moves = np.arange(-jump, jump + 1)
  mean = p @ moves
  return float(np.sqrt(p @ np.square(moves - mean)))


def digit_metrics(st, kept: dict, test, n: int) -> dict:
  """Identity (and, with a fixed direction per sequence, direction) kept by
  sampled rollouts, by the LSTM's predictions and by the true future frames
  (`rollout_identity`, `rollout_identity_lstm`, `true_identity`, ...)."""
  labels = np.asarray(test["label"][:n])
  clf = feature_classifier.cached(st.t.classifier_path, st.workdir)
  identity = lambda f: float(np.mean(clf.predict(seq_eval.centre_columns(
      f.reshape((-1,) + st.frame_shape))).reshape(f.shape[:-3]) ==
      labels.reshape((n,) + (1,) * (f.ndim - 4))))
  truth = np.asarray(test["frames"][:n, st.t.observe:])
  out = {"true_identity": identity(truth)}
  direction = None
  if "direction" in test:
    direction = np.asarray(test["direction"][:n])
    moves = lambda f: float(np.mean(seq_eval.direction(f) == direction.reshape(
        (n,) + (1,) * (f.ndim - 5))))
    out["true_direction"] = moves(truth)
  for name, draws in kept.items():
    suffix = {"tdvae": "", "tdvae_jumpy": "_jumpy"}.get(name, f"_{name}")
    out[f"rollout_identity{suffix}"] = identity(draws)
    if direction is not None and draws.shape[-4] > 1:
      out[f"rollout_direction{suffix}"] = moves(draws)
  return out


def jump_metrics(jumps: dict) -> dict:
  """Per jump and averaged MSE, log-likelihood and best-of-K error of every
  predictor (`mse_lstm_d1`, `best_tdvae`, ...), the spreads of switching
  digits (`spread_tdvae_d1`, `spread_true_d1`), and TD-VAE's ratio to (and
  gap from) the Kalman filter."""
  out = {}
  for m, d in jumps.items():
    name = (lambda k, m=m: f"{k}_{m}") if m != "spread" else (
        lambda k: f"spread_{k}")
    for k, values in d.items():
      out.update({f"{name(k)}_d{j + 1}": float(v)
                  for j, v in enumerate(values)})
      out[name(k)] = float(np.mean(values))
  if "kalman" in jumps:
    out["mse_ratio_to_kalman"] = float(np.mean(
        jumps["tdvae"]["mse"] / jumps["kalman"]["mse"]))
    out["ll_gap_to_kalman"] = float(np.mean(
        jumps["kalman"]["ll"] - jumps["tdvae"]["ll"]))
  return out


def step_metrics(st, per_step: dict) -> dict:
  out = {}
  jump = st.t.max_jump
  for m, errors in per_step.items():
    scale = jump if m == "tdvae_jumpy" else 1
    for s in horizon_steps(st.length - st.t.observe, jump):
      if s % scale == 0 and s // scale <= len(errors):
        out[f"rollout_mse_{m}_s{s}"] = float(errors[s // scale - 1])
  return out
