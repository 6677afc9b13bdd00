"""TD-VAE's predictions as compiled functions: states sampled from the
belief and jumped by the transition, predictive means and log-likelihoods
d steps ahead, rollouts, the bound's terms over time pairs; the LSTM
predictor's outputs; the Kalman filter's predictions over a horizon.
`methods/sequences/tdvae_eval.py` scores them.

Gregor et al. (2019), "Temporal Difference Variational Auto-Encoder",
arXiv:1806.03107: a jumpy rollout samples z from the belief p_B(z | b_t)
and applies the transition p_T(z' | z, d) again and again, decoding each
state, with no step-by-step simulation in between.
"""

import functools

import jax
import jax.numpy as jnp

from unsup_jax.models.tdvae import TDVAE, JumpPredictor, mean_of
from unsup_jax.ops import distributions, kalman


def _layers(model, params, method, *args):
  """A hierarchy `(layer, upper) -> (mean, logvar)` of `method(*args)`."""
  return lambda l, u: model.apply({"params": params}, *args, l, u,
                                  method=method)


def sample_belief(model: TDVAE, params, b, keys):
  """z ~ p_B(z | b) `[N, state_dim]`, one per key `[N]`."""
  return distributions.sample_layers(
      keys, _layers(model, params, TDVAE.belief, b), model.num_layers)[0]


def sample_jump(model: TDVAE, params, z, jump, keys):
  """z' ~ p_T(z' | z, jump), one per key (`jump` an int or a scalar)."""
  jumps = jnp.full((z.shape[0],), jump, jnp.int32)
  return distributions.sample_layers(
      keys, _layers(model, params, TDVAE.transition, z, jumps),
      model.num_layers)[0]


def _keys(key, n, salt):
  return jax.random.split(jax.random.fold_in(key, salt), n)


@functools.partial(jax.jit,
                   static_argnames=("model", "samples", "frame_shape"))
def predict_jump(key, params, b, x, *, model: TDVAE, jump, samples: int,
                 frame_shape=None):
  """TD-VAE's prediction `jump` steps ahead of beliefs `b` `[N, H]` for
  targets `x` `[N, ...]` from `samples` sampled states each.

  Returns:
    `mean` `[N, P]`, the mean of the decoded means; `ll` `[N]`, the
    Monte-Carlo predictive log-likelihood; `best` `[N]`, the mean squared
    error of the closest decoded mean (best of `samples`); with
    `frame_shape` `(H, W, C)`, `columns` `[N, samples, W]`, the column
    masses of every decoded mean (where each sample put the object).
  """
  n = b.shape[0]
  b = jnp.repeat(b, samples, axis=0)
  z = sample_jump(model, params, sample_belief(
      model, params, b, _keys(key, n * samples, 0)), jump,
                  _keys(key, n * samples, 1))
  out = model.apply({"params": params}, z, method=TDVAE.decode)
  x = x.reshape(n, -1)
  ll = model.apply({"params": params}, jnp.repeat(x, samples, axis=0), out,
                   method=TDVAE.log_likelihood)
  ll = jax.nn.logsumexp(ll.reshape(n, samples), axis=1) - jnp.log(samples)
  means = mean_of(model.likelihood, out).reshape(n, samples, -1)
  result = {"mean": means.mean(1), "ll": ll,
            "best": jnp.square(means - x[:, None]).mean(-1).min(-1)}
  if frame_shape is not None:
    result["columns"] = means.reshape(
        (n, samples) + tuple(frame_shape)).sum(axis=(2, 4))
  return result


@functools.partial(jax.jit, static_argnames=("model", "num_jumps"))
def rollout(key, params, b, *, model: TDVAE, jump, num_jumps: int):
  """Sampled futures of beliefs `b` `[N, H]`: a state from the belief,
  then `num_jumps` jumps of `jump` steps, each decoded: `[N, num_jumps,
  P]` mean frames."""
  n = b.shape[0]
  z = sample_belief(model, params, b, _keys(key, n, 0))

  def one_jump(z, k):
    z = sample_jump(model, params, z, jump,
                    jax.random.split(jax.random.fold_in(key, k + 1), n))
    return z, mean_of(model.likelihood, model.apply(
        {"params": params}, z, method=TDVAE.decode))
  _, frames = jax.lax.scan(one_jump, z, jnp.arange(num_jumps))
  return jnp.moveaxis(frames, 0, 1)


@functools.partial(jax.jit, static_argnames=("model", "samples"))
def belief_means(key, params, b, *, model: TDVAE, samples: int):
  """Decoded means of `samples` states drawn from each belief `b` `[N,
  H]`: `[N, samples, P]`."""
  n = b.shape[0]
  z = sample_belief(model, params, jnp.repeat(b, samples, axis=0),
                    _keys(key, n * samples, 0))
  out = model.apply({"params": params}, z, method=TDVAE.decode)
  return mean_of(model.likelihood, out).reshape(n, samples, -1)


@functools.partial(jax.jit, static_argnames=("terms_fn",))
def mean_terms(key, params, frames, *, terms_fn):
  """The bound's terms per sequence of `frames` `[B, T, ...]`, averaged
  over its time pairs: `{term: [B]}`."""
  keys = jax.random.split(key, frames.shape[0])
  return jax.tree.map(lambda a: a.mean(1), terms_fn(params, frames, keys))


@functools.partial(jax.jit, static_argnames=("model",))
def beliefs(params, frames, *, model: TDVAE):
  """b_t of every t of `frames` `[B, T, ...]`: `[B, T, H]`."""
  return model.apply({"params": params}, frames, method=TDVAE.beliefs)


@functools.partial(jax.jit, static_argnames=("predictor",))
def predictor_beliefs(params, frames, *, predictor):
  """The LSTM predictor's b_t of `frames` `[B, T, ...]`: `[B, T, H]`."""
  return predictor.apply({"params": params}, frames,
                         method=JumpPredictor.beliefs)


@functools.partial(jax.jit, static_argnames=("predictor",))
def predictor_outputs(params, b, jump, *, predictor):
  """The LSTM predictor's (outputs, log-variances or None) `[N, P]` for
  x_{t+jump} from beliefs `b` `[N, H]`."""
  jumps = jnp.full((b.shape[0],), jump, jnp.int32)
  return predictor.apply({"params": params}, b, jumps,
                         method=JumpPredictor.predict)


@functools.partial(jax.jit, static_argnames=("now", "horizon"))
def kalman_fan(ssm: kalman.LinearGaussian, frames, *, now: int, horizon: int):
  """The Kalman filter's predictive mean and std of the first observed value
  of y_{now+k}, k = 1..horizon, given y_1..now+1 of each sequence of
  `frames` `[R, T, O]`: each `[R, horizon]`."""
  filt = jax.vmap(functools.partial(kalman.kalman_filter, ssm))(frames)

  def one_step(carry, _):
    mean, cov, obs_mean, obs_cov = kalman.predict(ssm, *carry, 1)
    return (mean, cov), (obs_mean[:, 0], jnp.sqrt(obs_cov[:, 0, 0]))
  _, (mean, std) = jax.lax.scan(one_step, (filt.mean[:, now],
                                           filt.cov[:, now]), None,
                                length=horizon)
  return mean.T, std.T
