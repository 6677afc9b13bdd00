"""Evaluation of TD-VAE (`methods/tdvae.py`) against its baselines and, on
a linear-Gaussian state space model, against the optimal filter (the
compiled predictions are in `methods/tdvae_predict.py`).

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

import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.eval import sequences as seq_eval
from unsup_jax.eval.batched import map_batches
from unsup_jax.methods import gan_eval
from unsup_jax.methods.tdvae_predict import (beliefs, belief_means,
                                             kalman_fan, mean_terms,
                                             predict_jump, predictor_beliefs,
                                             predictor_outputs, rollout)
from unsup_jax.methods.tdvae_report import horizon_steps, notes
from unsup_jax.models.tdvae import TDVAE, log_likelihood, mean_of
from unsup_jax.ops import distributions, kalman

# Probabilities tried for the copy baseline's clipping (Bernoulli frames).
COPY_CLIPS = (1e-3, 1e-2, 3e-2, 0.1, 0.2, 0.3)
# Training sequences the copy baseline is fitted on.
COPY_FIT_SEQUENCES = 500
# Samples of the belief in the belief figure, and per belief in the
# filtering error.
BELIEF_SAMPLES = 200
FILTER_SAMPLES = 32
_ROW_BATCH = 256


class Evaluator:
  """`evaluate` and `report_notes` of one TD-VAE config (see the module
  docstring)."""

  def __init__(self, config, model: TDVAE, predictor, spec, workdir, *,
               terms_fn):
    """`terms_fn(params, frames, keys) -> {term: [B, pairs]}`: the bound's
    terms over time pairs (`methods.tdvae.pair_terms`)."""
    self.config, self.t, self.terms_fn = config, config.tdvae, terms_fn
    self.model, self.predictor, self.workdir = model, predictor, workdir
    shape = tuple(spec.shape("frames"))
    self.length, self.frame_shape = shape[0], shape[1:]
    ssm = spec.meta.get("state_space_model")
    self.ssm = None if ssm is None else kalman.LinearGaussian.from_arrays(ssm)
    features = spec.features
    self.digits = (self.frame_shape == (28, 28, 1) and
                   {"label", "direction"} <= set(features))
    self._classifier = None

  @property
  def times(self) -> np.ndarray:
    """The "now" t of every scored prediction."""
    return np.arange(self.t.eval_from, self.length - self.t.max_jump)

  # --- evaluation ----------------------------------------------------------
  def evaluate(self, state, data, key, *, full: bool):
    test = data.split("test")
    n = min(self.t.eval_sequences, len(test["frames"]))
    frames = np.asarray(test["frames"][:n], np.float32)
    params = state.params["tdvae"]
    keys = jax.random.split(key, 5)
    terms = map_batches(
        lambda k, x: mean_terms(k, params, x, terms_fn=self.terms_fn),
        frames, batch_size=_ROW_BATCH, key=keys[0])
    metrics = {"loss": float(np.mean(terms["loss"])),
               "loss_rec": -float(np.mean(terms["log_likelihood"])),
               "loss_kl": float(np.mean(terms["kl_t1"])),
               "loss_transition": float(np.mean(
                   terms["log_belief_t2"] - terms["log_transition"]))}
    if not full:
      return metrics, {}
    b = map_batches(lambda x: beliefs(params, x, model=self.model), frames,
                    batch_size=_ROW_BATCH)
    base = self.baseline_outputs(state, frames)
    per_jump = self.per_jump(params, b, frames, base, data, keys[1])
    per_step, shown = self.rollouts(params, b, frames, base, keys[2])
    outputs = {"per_jump": per_jump, "per_step": per_step,
               "rollouts": shown, "observe": self.t.observe,
               "max_jump": self.t.max_jump}
    metrics.update(self.jump_metrics(per_jump))
    metrics.update(self.step_metrics(per_step))
    if self.digits:
      metrics.update(self.digit_metrics(shown.pop("digit_samples"), test, n))
    if self.ssm is not None and frames.shape[-1] == 1:
      outputs["belief"] = self.belief_track(params, b[0], frames[0], test,
                                            keys[3])
      if "states" in test:
        metrics.update(self.filter_metrics(params, b, frames, test, keys[4]))
    outputs["exports"] = {"predictions.npz": {
        **{f"{k}_{m}": np.asarray(v) for m, d in per_jump.items()
           for k, v in d.items()},
        **{f"rollout_mse_{m}": np.asarray(v) for m, v in per_step.items()},
        "times": self.times}}
    return metrics, outputs

  def baseline_outputs(self, state, frames):
    """`(jump, beliefs [N, H]) -> (outputs [N, P], logvar [N, P] or None)`
    of the LSTM predictor and its beliefs `[N, T, H]` of `frames`, or None
    without a baseline."""
    if self.predictor is None:
      return None
    params = state.params["baseline"]
    b = map_batches(lambda x: predictor_beliefs(
        params, x, predictor=self.predictor), frames, batch_size=_ROW_BATCH)
    predict = lambda jump, bb: map_batches(
        lambda x: predictor_outputs(params, x, jump, predictor=self.predictor),
        bb, batch_size=_ROW_BATCH)
    return predict, b

  def copy_fit(self, data, jump: int):
    """The copy baseline's variance (Gaussian) or clipping (Bernoulli) for
    `jump`, fitted on training sequences."""
    train = np.asarray(data.split("train")["frames"][:COPY_FIT_SEQUENCES],
                       np.float32)
    x, y = train[:, :-jump], train[:, jump:]
    if self.t.likelihood == "gaussian":
      return float(np.mean(np.square(y - x)))
    flat = lambda a: a.reshape(-1, int(np.prod(self.frame_shape)))
    scores = [np.mean(self.copy_log_lik(flat(x), flat(y), c))
              for c in COPY_CLIPS]
    return COPY_CLIPS[int(np.argmax(scores))]

  def copy_log_lik(self, x, y, fit) -> np.ndarray:
    """log p(y | copy of x) `[N]` of flat frames."""
    if self.t.likelihood == "gaussian":
      return np.asarray(distributions.gaussian_log_prob(
          jnp.asarray(y), jnp.asarray(x), jnp.log(jnp.float32(fit))))
    p = np.clip(x, fit, 1 - fit)
    return np.sum(y * np.log(p) + (1 - y) * np.log1p(-p), axis=-1)

  def per_jump(self, params, b, frames, base, data, key) -> dict:
    """`{model: {"mse": [D], "ll": [D]}}` of every predictor (module
    docstring)."""
    ts, n = self.times, frames.shape[0]
    flat = lambda a: a.reshape(a.shape[0] * a.shape[1], -1)
    now = flat(frames[:, ts])
    beliefs = b[:, ts].reshape(-1, b.shape[-1])
    names = ["tdvae", "copy"] + ([] if base is None else ["lstm"]) + (
        [] if self.ssm is None else ["kalman"])
    out = {m: {"mse": [], "ll": []} for m in names}
    filtered = None
    if self.ssm is not None:
      filtered = jax.jit(jax.vmap(functools.partial(
          kalman.jump_predictions, self.ssm, max_jump=self.t.max_jump)))(
              jnp.asarray(frames.reshape(n, self.length, -1)))
    for d in range(1, self.t.max_jump + 1):
      target = flat(frames[:, ts + d])
      mean, ll = map_batches(
          lambda k, bb, xx, d=d: predict_jump(
              k, params, bb, xx, model=self.model, jump=d,
              samples=self.t.eval_samples),
          beliefs, target, batch_size=_ROW_BATCH,
          key=jax.random.fold_in(key, d))
      preds = {"tdvae": (mean, ll)}
      fit = self.copy_fit(data, d)
      preds["copy"] = (now, self.copy_log_lik(now, target, fit))
      if base is not None:
        predict, lstm_b = base
        o, logvar = predict(d, lstm_b[:, ts].reshape(-1, lstm_b.shape[-1]))
        preds["lstm"] = (np.asarray(mean_of(self.t.likelihood, o)),
                         np.asarray(log_likelihood(
                             self.t.likelihood, jnp.asarray(target),
                             jnp.asarray(o), logvar)))
      if filtered is not None:
        km = np.asarray(filtered["mean"][:, d - 1, ts]).reshape(
            target.shape)
        kc = filtered["cov"][:, d - 1, ts]
        kc = kc.reshape((-1,) + kc.shape[-2:])
        preds["kalman"] = (km, np.asarray(kalman.gaussian_log_prob(
            jnp.asarray(target), jnp.asarray(km), kc)))
      for m, (pred, ll) in preds.items():
        out[m]["mse"].append(float(np.mean(np.square(pred - target))))
        out[m]["ll"].append(float(np.mean(ll)))
    return {m: {k: np.asarray(v) for k, v in d.items()}
            for m, d in out.items()}

  def rollouts(self, params, b, frames, base, key):
    """Per-step errors of rollouts from the belief after `observe` frames
    (`{model: [steps]}`), and the arrays the rollout figure shows."""
    t, n = self.t, frames.shape[0]
    now, horizon = t.observe - 1, self.length - t.observe
    truth = frames[:, t.observe:]
    samples, shown = t.eval_samples, min(t.rollouts_shown, n)
    keep = max(t.rollout_samples, 4 if self.digits else 0)
    per_step, kept = {}, {}
    for name, jump in (("tdvae", 1), ("tdvae_jumpy", t.max_jump)):
      count = horizon // jump
      if not count:
        continue
      draws = map_batches(
          lambda k, bb, jump=jump, count=count: rollout(
              k, params, bb, model=self.model, jump=jump, num_jumps=count),
          np.repeat(b[:, now], samples, axis=0), batch_size=_ROW_BATCH,
          key=jax.random.fold_in(key, jump))
      draws = draws.reshape((n, samples, count) + self.frame_shape)
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
      per_step["lstm"] = seq_eval.errors_by_horizon(
          o.reshape((n, reach) + self.frame_shape), truth[:, :reach])
    jump = t.rollout_jump
    draws = kept["tdvae" if jump == 1 else "tdvae_jumpy"] if jump in (
        1, t.max_jump) else self._strip(params, b, now, jump, key)
    out = {"truth": frames[:shown], "samples":
           draws[:shown, :t.rollout_samples], "jump": jump}
    if self.ssm is not None and frames.shape[-1] == 1:
      out["kalman"] = self.kalman_fan(frames[:shown], now, horizon)
    if self.digits:
      out["digit_samples"] = kept
    return per_step, out

  def _strip(self, params, b, now, jump, key):
    count = (self.length - self.t.observe) // jump
    shown = min(self.t.rollouts_shown, b.shape[0])
    draws = rollout(key, params, jnp.repeat(b[:shown, now],
                                            self.t.rollout_samples, axis=0),
                    model=self.model, jump=jump, num_jumps=count)
    return np.asarray(draws).reshape(
        (shown, self.t.rollout_samples, count) + self.frame_shape)

  def kalman_fan(self, frames, now: int, horizon: int) -> dict:
    """The Kalman filter's predictive mean and std of y_{now+k}, k = 1 ..
    horizon, for each of `frames` `[R, T, 1]`."""
    mean, std = kalman_fan(self.ssm, jnp.asarray(frames.reshape(
        frames.shape[0], self.length, -1)), now=now, horizon=horizon)
    return {"mean": np.asarray(mean), "std": np.asarray(std)}

  def filter_metrics(self, params, b, frames, test, key) -> dict:
    """How well the belief b_t knows the true first observed quantity (the
    position) at t: mean squared error of its decoded mean (over
    `FILTER_SAMPLES` states), beside the Kalman filter's and the raw
    observation's, over t >= eval_from."""
    n, ts = frames.shape[0], np.arange(self.t.eval_from, self.length)
    rows = b[:, ts].reshape(-1, b.shape[-1])
    draws = map_batches(lambda k, bb: belief_means(
        k, params, bb, model=self.model, samples=FILTER_SAMPLES), rows,
                        batch_size=_ROW_BATCH, key=key)
    h = np.asarray(self.ssm.observation)[0]
    truth = (np.asarray(test["states"][:n]) @ h)[:, ts]
    filt = jax.jit(jax.vmap(functools.partial(kalman.kalman_filter,
                                              self.ssm)))(jnp.asarray(frames))
    kalman_mean = (np.asarray(filt.mean) @ h)[:, ts]
    model_mean = draws[..., 0].mean(1).reshape(n, len(ts))
    mse = lambda a: float(np.mean(np.square(a - truth)))
    return {"filter_mse_tdvae": mse(model_mean),
            "filter_mse_kalman": mse(kalman_mean),
            "filter_mse_observation": mse(frames[:, ts, 0])}

  def belief_track(self, params, b, frames, test, key) -> dict:
    """The belief's decoded observation at every t of one test sequence
    (mean and 5-95% band of `BELIEF_SAMPLES` states), beside the Kalman
    filter's mean and std of the position and the true position."""
    draws = np.asarray(belief_means(key, params, jnp.asarray(b),
                                    model=self.model,
                                    samples=BELIEF_SAMPLES))[..., 0]
    filt = kalman.kalman_filter(self.ssm, jnp.asarray(frames))
    h = np.asarray(self.ssm.observation)[0]
    out = {"observed": frames[:, 0], "model_mean": draws.mean(1),
           "model_low": np.quantile(draws, 0.05, axis=1),
           "model_high": np.quantile(draws, 0.95, axis=1),
           "kalman_mean": np.asarray(filt.mean) @ h,
           "kalman_std": np.sqrt(np.einsum("i,tij,j->t", h,
                                           np.asarray(filt.cov), h))}
    if "states" in test:
      out["true"] = np.asarray(test["states"][0]) @ h
    return out

  def classifier(self):
    if self._classifier is None:
      self._classifier = gan_eval.load_classifier(self.t.classifier_path,
                                                  self.workdir)
    return self._classifier

  def digit_metrics(self, kept: dict, test, n: int) -> dict:
    """Identity and direction kept by sampled rollouts and by the true
    future frames (`rollout_identity`, `true_identity`, ...)."""
    labels = np.asarray(test["label"][:n])
    direction = np.asarray(test["direction"][:n])
    clf = self.classifier()
    identity = lambda f: float(np.mean(clf.predict(seq_eval.centre_columns(
        f.reshape((-1,) + self.frame_shape))).reshape(f.shape[:-3]) ==
        labels.reshape((n,) + (1,) * (f.ndim - 4))))
    moves = lambda f: float(np.mean(seq_eval.direction(f) == direction.reshape(
        (n,) + (1,) * (f.ndim - 5))))
    truth = np.asarray(test["frames"][:n, self.t.observe:])
    out = {"true_identity": identity(truth), "true_direction": moves(truth)}
    for name, draws in kept.items():
      suffix = "_jumpy" if name == "tdvae_jumpy" else ""
      out[f"rollout_identity{suffix}"] = identity(draws)
      if draws.shape[2] > 1:
        out[f"rollout_direction{suffix}"] = moves(draws)
    return out

  # --- results and notes ---------------------------------------------------
  def jump_metrics(self, per_jump: dict) -> dict:
    out = {}
    for m, d in per_jump.items():
      for k, values in d.items():
        out.update({f"{k}_{m}_d{j + 1}": float(v)
                    for j, v in enumerate(values)})
      out[f"mse_{m}"] = float(np.mean(d["mse"]))
      out[f"ll_{m}"] = float(np.mean(d["ll"]))
    if "kalman" in per_jump:
      out["mse_ratio_to_kalman"] = float(np.mean(
          per_jump["tdvae"]["mse"] / per_jump["kalman"]["mse"]))
      out["ll_gap_to_kalman"] = float(np.mean(
          per_jump["kalman"]["ll"] - per_jump["tdvae"]["ll"]))
    return out

  def step_metrics(self, per_step: dict) -> dict:
    out = {}
    jump = self.t.max_jump
    for m, errors in per_step.items():
      scale = jump if m == "tdvae_jumpy" else 1
      for s in horizon_steps(self.length - self.t.observe, jump):
        if s % scale == 0 and s // scale <= len(errors):
          out[f"rollout_mse_{m}_s{s}"] = float(errors[s // scale - 1])
    return out

  def report_notes(self, results: dict) -> list:
    return notes(results, self.t.max_jump, self.length - self.t.observe,
                 self.t.observe)
