"""Evaluation of TD-VAE (`tdvae.py`) against its baselines and, on a
linear-Gaussian state space model, against the optimal filter (the
compiled predictions are in `tdvae_predict.py`).

On the first `tdvae.eval_sequences` test sequences, from the belief b_t
at every t in [eval_from, T - 1 - max_jump] (the same "now" for every
jump, so that the jumps are compared on the same points):

* **per jump** d = 1..D, the prediction of x_{t+d}: mean squared error of
  the predictive mean (per observed value) and the predictive
  log-likelihood (nats per frame) of
  - TD-VAE: S = `eval_samples` states z ~ p_B(z | b_t), each jumped once
    by p_T(. | z, d) and decoded; the mean of the decoded means, and log
    (1/S) sum_s p_D(x_{t+d} | z'_s) (a Monte-Carlo estimate of the
    predictive density, biased low for small S);
  - `lstm`: the deterministic `JumpPredictor` (its learned variance);
  - `copy`: x_t itself, with a variance per jump (Gaussian frames) or a
    clipping of the probabilities (Bernoulli frames) fitted on training
    sequences;
  - `kalman` (data whose metadata holds a `state_space_model`): the
    Kalman filter's exact predictive distribution, the optimum.
* **rollouts** from the belief after `observe` frames: jumps of 1 step
  over the rest of the sequence and jumps of D steps; mean squared error
  per step ahead of the mean over S sampled rollouts, beside copying the
  last frame and (up to D steps) the LSTM.
* **moving digits** (frames 28x28 with `label` and `direction`): whether
  sampled rollouts keep the digit (the in-project mnist5k classifier on
  frames centred by their circular centre of mass, `eval/sequences.py`)
  and its direction (the sign of the mean displacement), beside the same
  measures of the true future frames.
"""

import functools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.eval import sequences as seq_eval
from unsup_jax.eval.batched import map_batches
from unsup_jax.methods.sequences.tdvae_filtering import (belief_track,
                                                         filter_metrics,
                                                         kalman_fan_outputs)
from unsup_jax.methods.sequences.tdvae_predict import (beliefs, belief_means,
                                             mean_terms,
                                             predict_jump, predictor_beliefs,
                                             predictor_outputs, rollout)
from unsup_jax.methods.sequences.tdvae_report import notes
from unsup_jax.methods.sequences.tdvae_scores import (digit_metrics,
                                                      jump_metrics,
                                                      sample_spread,
                                                      step_metrics,
                                                      true_spread)
from unsup_jax.models.tdvae import TDVAE, log_likelihood, mean_of
from unsup_jax.ops import distributions, kalman

# Probabilities tried for the copy baseline's clipping (Bernoulli frames).
COPY_CLIPS = (1e-3, 1e-2, 3e-2, 0.1, 0.2, 0.3)
# Training sequences the copy baseline is fitted on.
COPY_FIT_SEQUENCES = 500
_ROW_BATCH = 256


class Setting(NamedTuple):
  """What the evaluation of one config reads: the `tdvae` section, the
  networks, the sequences' length and frame shape, the state space model
  of linear-Gaussian data (or None), whether the frames are moving digits,
  the reversal probability of switching digits (or None), the workdir (the
  digit classifier's cache) and `terms_fn(params, frames,
  keys) -> {term: [B, pairs]}`, the bound's terms over time pairs
  (`tdvae.pair_terms`)."""
  t: Any
  model: TDVAE
  predictor: Any
  length: int
  frame_shape: tuple[int, ...]
  ssm: Any
  digits: bool
  switch_prob: float | None
  workdir: str | None
  terms_fn: Callable


def setting(config, model: TDVAE, predictor, spec, workdir, *,
            terms_fn) -> Setting:
  """The `Setting` of `config` for the frames of `spec` (`predictor`: the
  LSTM baseline, or None)."""
  shape = tuple(spec.shape("frames"))
  ssm = spec.meta.get("state_space_model")
  return Setting(
      t=config.tdvae, model=model, predictor=predictor, length=shape[0],
      frame_shape=shape[1:],
      ssm=None if ssm is None else kalman.LinearGaussian.from_arrays(ssm),
      digits=(shape[1:] == (28, 28, 1) and
              {"label", "offset"} <= set(spec.features)),
      switch_prob=spec.meta.get("switch_prob"),
      workdir=workdir, terms_fn=terms_fn)


def times(st: Setting) -> np.ndarray:
  """The "now" t of every scored prediction."""
  return np.arange(st.t.eval_from, st.length - st.t.max_jump)


def evaluate(state, data, key, *, full: bool, st: Setting):
  """The bound's terms on the test sequences; with `full` every
  prediction, rollout and filtering score of the module docstring."""
  test = data.split("test")
  n = min(st.t.eval_sequences, len(test["frames"]))
  frames = np.asarray(test["frames"][:n], np.float32)
  params = state.params["tdvae"]
  keys = jax.random.split(key, 6)
  terms = map_batches(
      lambda k, x: mean_terms(k, params, x, terms_fn=st.terms_fn),
      frames, batch_size=_ROW_BATCH, key=keys[0])
  metrics = {"loss": float(np.mean(terms["loss"])),
             "loss_rec": -float(np.mean(terms["log_likelihood"])),
             "loss_kl": float(np.mean(terms["kl_t1"])),
             "loss_transition": float(np.mean(
                 terms["log_belief_t2"] - terms["log_transition"]))}
  if not full:
    return metrics, {}
  b = map_batches(lambda x: beliefs(params, x, model=st.model), frames,
                  batch_size=_ROW_BATCH)
  base = baseline_outputs(st, state, frames)
  jumps = per_jump(st, params, b, frames, base, data, keys[1])
  per_step, shown = rollouts(st, params, b, frames, base, keys[2])
  outputs = {"per_jump": jumps, "per_step": per_step,
             "rollouts": shown, "observe": st.t.observe,
             "max_jump": st.t.max_jump}
  metrics.update(jump_metrics(jumps))
  metrics.update(step_metrics(st, per_step))
  metrics.update(now_metrics(st, params, b, frames, keys[5]))
  if st.digits:
    metrics.update(digit_metrics(st, shown.pop("digit_samples"), test, n))
  if st.ssm is not None and frames.shape[-1] == 1:
    outputs["belief"] = belief_track(st, params, b[0], frames[0], test,
                                     keys[3])
    if "states" in test:
      metrics.update(filter_metrics(st, params, b, frames, test, keys[4]))
  outputs["exports"] = {"predictions.npz": {
      **{f"{k}_{m}": np.asarray(v) for m, d in jumps.items()
         for k, v in d.items()},
      **{f"rollout_mse_{m}": np.asarray(v) for m, v in per_step.items()},
      "times": times(st)}}
  return metrics, outputs


def baseline_outputs(st: Setting, state, frames):
  """`(jump, beliefs [N, H]) -> (outputs [N, P], logvar [N, P] or None)`
  of the LSTM predictor and its beliefs `[N, T, H]` of `frames`, or None
  without a baseline."""
  if st.predictor is None:
    return None
  params = state.params["baseline"]
  b = map_batches(lambda x: predictor_beliefs(
      params, x, predictor=st.predictor), frames, batch_size=_ROW_BATCH)
  predict = lambda jump, bb: map_batches(
      lambda x: predictor_outputs(params, x, jump, predictor=st.predictor),
      bb, batch_size=_ROW_BATCH)
  return predict, b


def copy_fit(st: Setting, data, jump: int):
  """The copy baseline's variance (Gaussian) or clipping (Bernoulli) for
  `jump`, fitted on training sequences."""
  train = np.asarray(data.split("train")["frames"][:COPY_FIT_SEQUENCES],
                     np.float32)
  x, y = train[:, :-jump], train[:, jump:]
  if st.t.likelihood == "gaussian":
    return float(np.mean(np.square(y - x)))
  flat = lambda a: a.reshape(-1, int(np.prod(st.frame_shape)))
  scores = [np.mean(copy_log_lik(st, flat(x), flat(y), c))
            for c in COPY_CLIPS]
  return COPY_CLIPS[int(np.argmax(scores))]


def copy_log_lik(st: Setting, x, y, fit) -> np.ndarray:
  """log p(y | copy of x) `[N]` of flat frames."""
  if st.t.likelihood == "gaussian":
    return np.asarray(distributions.gaussian_log_prob(
        jnp.asarray(y), jnp.asarray(x), jnp.log(jnp.float32(fit))))
  p = np.clip(x, fit, 1 - fit)
  return np.sum(y * np.log(p) + (1 - y) * np.log1p(-p), axis=-1)


def per_jump(st: Setting, params, b, frames, base, data, key) -> dict:
  """`{model: {"mse", "ll", "best": [D]}}` of every predictor ("best":
  best-of-K, a deterministic predictor's own error; module docstring),
  and on switching digits `{"spread": {"tdvae": [D], "true": [D]}}`."""
  ts, n = times(st), frames.shape[0]
  flat = lambda a: a.reshape(a.shape[0] * a.shape[1], -1)
  now = flat(frames[:, ts])
  beliefs = b[:, ts].reshape(-1, b.shape[-1])
  names = ["tdvae", "copy"] + ([] if base is None else ["lstm"]) + (
      [] if st.ssm is None else ["kalman"])
  out = {m: {"mse": [], "ll": [], "best": []} for m in names}
  spread = {"tdvae": [], "true": []}
  switching = st.switch_prob is not None
  if switching:
    now_centre = seq_eval.circular_centre(frames[:, ts]).reshape(-1)
  filtered = None
  if st.ssm is not None:
    filtered = jax.jit(jax.vmap(functools.partial(
        kalman.jump_predictions, st.ssm, max_jump=st.t.max_jump)))(
            jnp.asarray(frames.reshape(n, st.length, -1)))
  for d in range(1, st.t.max_jump + 1):
    target = flat(frames[:, ts + d])
    pred = map_batches(
        lambda k, bb, xx, d=d: predict_jump(
            k, params, bb, xx, model=st.model, jump=d,
            samples=st.t.eval_samples,
            frame_shape=st.frame_shape if switching else None),
        beliefs, target, batch_size=_ROW_BATCH,
        key=jax.random.fold_in(key, d))
    preds = {"tdvae": (pred["mean"], pred["ll"], pred["best"])}
    fit = copy_fit(st, data, d)
    preds["copy"] = (now, copy_log_lik(st, now, target, fit),
                     np.mean(np.square(now - target), axis=-1))
    if base is not None:
      predict, lstm_b = base
      o, logvar = predict(d, lstm_b[:, ts].reshape(-1, lstm_b.shape[-1]))
      mean = np.asarray(mean_of(st.t.likelihood, o))
      preds["lstm"] = (mean, np.asarray(log_likelihood(
          st.t.likelihood, jnp.asarray(target), jnp.asarray(o), logvar)),
                       np.mean(np.square(mean - target), axis=-1))
    if filtered is not None:
      km = np.asarray(filtered["mean"][:, d - 1, ts]).reshape(
          target.shape)
      kc = filtered["cov"][:, d - 1, ts]
      kc = kc.reshape((-1,) + kc.shape[-2:])
      preds["kalman"] = (km, np.asarray(kalman.gaussian_log_prob(
          jnp.asarray(target), jnp.asarray(km), kc)), None)
    for m, (mean, ll, best) in preds.items():
      out[m]["mse"].append(float(np.mean(np.square(mean - target))))
      out[m]["ll"].append(float(np.mean(ll)))
      if best is not None:
        out[m]["best"].append(float(np.mean(best)))
    if switching:          # the samples' spread beside the generator's
      spread["tdvae"].append(sample_spread(pred["columns"], now_centre))
      spread["true"].append(true_spread(st.switch_prob, d))
  out = {m: {k: np.asarray(v) for k, v in d.items() if len(v)}
         for m, d in out.items()}
  if switching:
    out["spread"] = {k: np.asarray(v) for k, v in spread.items()}
  return out


def now_metrics(st: Setting, params, b, frames, key) -> dict:
  """What the state holds of the present: the error of the mean decoded
  belief state, z ~ p_B(z | b_t) with no jump, against x_t itself
  (`now_mse_tdvae`; `now_best_tdvae` the closest of the samples), over the
  scored times. Beside `mse_tdvae_d1` it tells a state that cannot hold a
  frame from a transition that moves it wrongly."""
  ts = times(st)
  rows = b[:, ts].reshape(-1, b.shape[-1])
  now = frames[:, ts].reshape(len(rows), -1)
  draws = map_batches(lambda k, bb: belief_means(
      k, params, bb, model=st.model, samples=st.t.eval_samples), rows,
                      batch_size=_ROW_BATCH, key=key)
  return {"now_mse_tdvae": float(np.mean(np.square(draws.mean(1) - now))),
          "now_best_tdvae": float(np.mean(seq_eval.best_of_k(draws, now)))}


def rollouts(st: Setting, params, b, frames, base, key):
  """Per-step errors of rollouts from the belief after `observe` frames
  (`{model: [steps]}`), and the arrays the rollout figure shows."""
  t, n = st.t, frames.shape[0]
  now, horizon = t.observe - 1, st.length - t.observe
  truth = frames[:, t.observe:]
  samples, shown = t.eval_samples, min(t.rollouts_shown, n)
  keep = max(t.rollout_samples, 4 if st.digits else 0)
  per_step, kept = {}, {}
  for name, jump in (("tdvae", 1), ("tdvae_jumpy", t.max_jump)):
    count = horizon // jump
    if not count:
      continue
    draws = map_batches(
        lambda k, bb, jump=jump, count=count: rollout(
            k, params, bb, model=st.model, jump=jump, num_jumps=count),
        np.repeat(b[:, now], samples, axis=0), batch_size=_ROW_BATCH,
        key=jax.random.fold_in(key, jump))
    draws = draws.reshape((n, samples, count) + st.frame_shape)
    at = truth[:, jump - 1:count * jump:jump]
    per_step[name] = seq_eval.errors_by_horizon(draws.mean(1), at)
    kept[name] = draws[:, :keep]
  per_step["copy"] = seq_eval.errors_by_horizon(
      np.repeat(frames[:, now:now + 1], horizon, axis=1), truth)
  if base is not None:
    predict, lstm_b = base
    reach = min(t.max_jump, horizon)
    o = np.stack([mean_of(t.likelihood, predict(d, lstm_b[:, now])[0])
                  for d in range(1, reach + 1)], axis=1)
    o = o.reshape((n, reach) + st.frame_shape)
    per_step["lstm"] = seq_eval.errors_by_horizon(o, truth[:, :reach])
    kept["lstm"] = o
  jump = t.rollout_jump
  draws = kept["tdvae" if jump == 1 else "tdvae_jumpy"] if jump in (
      1, t.max_jump) else _strip(st, params, b, now, jump, key)
  out = {"truth": frames[:shown], "samples":
         draws[:shown, :t.rollout_samples], "jump": jump}
  if st.ssm is not None and frames.shape[-1] == 1:
    out["kalman"] = kalman_fan_outputs(st, frames[:shown], now, horizon)
  if st.digits:
    out["digit_samples"] = kept
  return per_step, out


def _strip(st: Setting, params, b, now, jump, key):
  count = (st.length - st.t.observe) // jump
  shown = min(st.t.rollouts_shown, b.shape[0])
  draws = rollout(key, params, jnp.repeat(b[:shown, now],
                                          st.t.rollout_samples, axis=0),
                  model=st.model, jump=jump, num_jumps=count)
  return np.asarray(draws).reshape(
      (shown, st.t.rollout_samples, count) + st.frame_shape)


def report_notes(results: dict, outputs: dict, *, t, length: int) -> list:
  """The per-jump and rollout tables (`tdvae_report.py`)."""
  del outputs
  return notes(results, t.max_jump, length - t.observe, t.observe)
