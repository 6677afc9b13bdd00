"""TD-VAE on linear-Gaussian data (`tdvae_eval.py` calls these when the
data carry a `state_space_model`): what the belief knows of the present
against the Kalman filter (Kalman 1960), the optimal filter, and the
filter's predictive fan beside sampled rollouts. Each function takes the
evaluation's `Setting`."""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.eval.batched import map_batches
from unsup_jax.methods.sequences.tdvae_predict import belief_means, kalman_fan
from unsup_jax.ops import kalman

# Samples of the belief in the belief figure, and per belief in the
# filtering error.
BELIEF_SAMPLES = 200
FILTER_SAMPLES = 32
_ROW_BATCH = 256


def kalman_fan_outputs(st, frames, now: int, horizon: int) -> dict:
  """The Kalman filter's predictive mean and std of y_{now+k}, k = 1 ..
  horizon, for each of `frames` `[R, T, 1]`."""
  mean, std = kalman_fan(st.ssm, jnp.asarray(frames.reshape(
      frames.shape[0], st.length, -1)), now=now, horizon=horizon)
  return {"mean": np.asarray(mean), "std": np.asarray(std)}


def filter_metrics(st, params, b, frames, test, key) -> dict:
  """How well the belief b_t knows the true first observed quantity (the
  position) at t: mean squared error of its decoded mean (over
  `FILTER_SAMPLES` states), beside the Kalman filter's and the raw
  observation's, over t >= eval_from."""
  n, ts = frames.shape[0], np.arange(st.t.eval_from, st.length)
  rows = b[:, ts].reshape(-1, b.shape[-1])
  draws = map_batches(lambda k, bb: belief_means(
      k, params, bb, model=st.model, samples=FILTER_SAMPLES), rows,
                      batch_size=_ROW_BATCH, key=key)
  h = np.asarray(st.ssm.observation)[0]
  truth = (np.asarray(test["states"][:n]) @ h)[:, ts]
  filt = jax.jit(jax.vmap(functools.partial(kalman.kalman_filter,
                                            st.ssm)))(jnp.asarray(frames))
  kalman_mean = (np.asarray(filt.mean) @ h)[:, ts]
  model_mean = draws[..., 0].mean(1).reshape(n, len(ts))
  mse = lambda a: float(np.mean(np.square(a - truth)))
  return {"filter_mse_tdvae": mse(model_mean),
          "filter_mse_kalman": mse(kalman_mean),
          "filter_mse_observation": mse(frames[:, ts, 0])}


def belief_track(st, params, b, frames, test, key) -> dict:
  """The belief's decoded observation at every t of one test sequence
  (mean and 5-95% band of `BELIEF_SAMPLES` states), beside the Kalman
  filter's mean and std of the position and the true position."""
  draws = np.asarray(belief_means(key, params, jnp.asarray(b),
                                  model=st.model,
                                  samples=BELIEF_SAMPLES))[..., 0]
  filt = kalman.kalman_filter(st.ssm, jnp.asarray(frames))
  h = np.asarray(st.ssm.observation)[0]
  out = {"observed": frames[:, 0], "model_mean": draws.mean(1),
         "model_low": np.quantile(draws, 0.05, axis=1),
         "model_high": np.quantile(draws, 0.95, axis=1),
         "kalman_mean": np.asarray(filt.mean) @ h,
         "kalman_std": np.sqrt(np.einsum("i,tij,j->t", h,
                                         np.asarray(filt.cov), h))}
  if "states" in test:
    out["true"] = np.asarray(test["states"][0]) @ h
  return out
