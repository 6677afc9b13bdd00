"""TD-VAE: a sequence model that predicts jumps into the future, beside a
deterministic LSTM predictor trained on the same budget.

Gregor, Papamakarios, Besse, Buesing & Weber (2019), "Temporal Difference
Variational Auto-Encoder", ICLR, arXiv:1806.03107. Networks:
`models/tdvae.py`; the bound: `losses/tdvae.py`; config:
`configs/tdvae.py`; predictions and rollouts: `tdvae_predict.py`;
evaluation: `tdvae_eval.py` (with `tdvae_scores.py`, `tdvae_filtering.py`
and the report text `tdvae_report.py`).

Phases:

* "train": each step draws, for each sequence of the batch, `tdvae.pairs`
  time pairs (t1, t2 = t1 + delta), delta uniform in [1, max_jump] and t1
  uniform where t2 still fits, one belief pass of the LSTM serving them
  all, and minimises minus the TD-VAE bound averaged over the pairs.
  Pairs and noise are keyed per sequence by its index in the global batch
  (pmap draws what jit draws).
* "baseline" (`baseline.num_steps` > 0): `JumpPredictor`, the same
  embedding and LSTM with a head that predicts x_{t+d} from b_t and d,
  trained by the negative log-likelihood of time pairs drawn as TD-VAE's
  (the same number per step: the same budget).

Each network has its own optimiser state (`params["tdvae"]`,
`params["baseline"]`).
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections

from unsup_jax.configs import tdvae as tdvae_config
from unsup_jax.losses import tdvae as tdvae_loss
from unsup_jax.methods.sequences import tdvae_eval
from unsup_jax.models.tdvae import TDVAE, JumpPredictor, log_likelihood, \
    mean_of
from unsup_jax.ops import distributions, schedules
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import Method, Phase
from unsup_jax.viz import tdvae as viz_tdvae

FINGERPRINT_FIELDS = ("likelihood", "embed_hidden", "belief_size",
                      "latent_dim", "num_layers", "hidden", "decoder_hidden",
                      "max_jump")


def make_models(t: ml_collections.ConfigDict, frame_shape
                ) -> tuple[TDVAE, JumpPredictor]:
  """TD-VAE and the baseline of section `t` (`config.tdvae`)."""
  shared = dict(frame_shape=tuple(frame_shape), likelihood=t.likelihood,
                embed_hidden=tuple(t.embed_hidden),
                belief_size=t.belief_size,
                decoder_hidden=tuple(t.decoder_hidden),
                max_jump=t.max_jump, unroll=t.unroll)
  return (TDVAE(latent_dim=t.latent_dim, num_layers=t.num_layers,
                hidden=t.hidden, **shared), JumpPredictor(**shared))


def init(key, batch, *, model: TDVAE, baseline: JumpPredictor | None, tx,
         frames_shape) -> state_lib.TrainState:
  del batch  # Shapes come from the spec.
  k_model, k_base, k_run = jax.random.split(key, 3)
  frames = jnp.zeros((1,) + tuple(frames_shape))
  params = {"tdvae": model.init(k_model, frames)["params"]}
  if baseline is not None:
    params["baseline"] = baseline.init(k_base, frames)["params"]
  return state_lib.TrainState(
      step=jnp.zeros((), jnp.int32), params=params,
      opt_state={k: tx.init(p) for k, p in params.items()}, key=k_run)


def draw_pairs(keys: jax.Array, *, length: int, max_jump: int, pairs: int):
  """Per sequence, `pairs` time pairs: `(t1, jump, keys)` each `[B,
  pairs]`, jump uniform in [1, max_jump], t1 uniform in [0, length - 1 -
  jump]; `keys` for each pair's noise."""
  def one(key):
    keys = jax.vmap(lambda p: jax.random.fold_in(key, p))(jnp.arange(pairs))
    draw = lambda k: jax.random.split(k, 3)
    k_jump, k_t1, k_noise = jnp.moveaxis(jax.vmap(draw)(keys), 1, 0)
    jump = jax.vmap(lambda k: jax.random.randint(k, (), 1, max_jump + 1))(
        k_jump)
    t1 = jax.vmap(lambda k, j: jax.random.randint(k, (), 0, length - j))(
        k_t1, jump)
    return t1, jump, k_noise
  return jax.vmap(one)(keys)


def bound_functions(model: TDVAE, params, b1, b2, jump, x2) -> dict:
  """The arguments of `losses.tdvae.tdvae_terms` for the time pairs with
  beliefs `b1`, `b2` `[N, H]`, jumps `[N]` and target frames `x2`."""
  call = lambda method, *a: model.apply({"params": params}, *a, method=method)
  return dict(
      belief_t1=lambda l, u: call(TDVAE.belief, b1, l, u),
      belief_t2=lambda l, u: call(TDVAE.belief, b2, l, u),
      smoothing=lambda z2: (
          lambda l, u: call(TDVAE.smoothing, z2, b1, b2, jump, l, u)),
      transition=lambda z1: (
          lambda l, u: call(TDVAE.transition, z1, jump, l, u)),
      log_likelihood=lambda z2: call(TDVAE.log_likelihood, x2,
                                     call(TDVAE.decode, z2)),
      num_layers=model.num_layers)


def pair_terms(model: TDVAE, params, frames: jax.Array, keys: jax.Array, *,
               pairs: int) -> dict:
  """`losses.tdvae.tdvae_terms` of `pairs` time pairs of each sequence of
  `frames` `[B, T, ...]` (one LSTM pass), each term `[B, pairs]`; `keys`
  `[B]` per sequence."""
  b = model.apply({"params": params}, frames, method=TDVAE.beliefs)
  t1, jump, pair_keys = draw_pairs(keys, length=frames.shape[1],
                                   max_jump=model.max_jump, pairs=pairs)
  rows = jnp.arange(frames.shape[0])[:, None]
  take = lambda a, t: a[rows, t].reshape((-1,) + a.shape[2:])
  t2 = t1 + jump
  terms = tdvae_loss.tdvae_terms(
      pair_keys.reshape(-1), **bound_functions(
          model, params, take(b, t1), take(b, t2), jump.reshape(-1),
          take(frames, t2)))
  return {k: v.reshape(t1.shape) for k, v in terms.items()}


def pair_loss(model: TDVAE, params, frames: jax.Array, keys: jax.Array, *,
              pairs: int, beta=1.0) -> tuple[jax.Array, dict]:
  """Minus the TD-VAE bound (with its latent terms weighted by `beta`)
  averaged over the pairs of `pair_terms`, and its metrics."""
  return tdvae_loss.summarize(pair_terms(model, params, frames, keys,
                                         pairs=pairs), beta=beta)


def train_step(state, batch, *, model: TDVAE, tx, pairs: int,
               warmup_steps: int = 0, axis_name=None):
  """One step of the TD-VAE bound on `batch["frames"]` `[B, T, ...]`, its
  latent terms weighted by beta rising linearly from 0 to 1 over
  `warmup_steps`."""
  frames = batch["frames"]
  beta = schedules.linear_ramp(state.step, start_value=0.0, end_value=1.0,
                               ramp_steps=warmup_steps)
  keys = distributions.per_example_keys(
      step_lib.step_key(state), frames.shape[0],
      step_lib.example_offset(frames.shape[0], axis_name))

  def step(sub):
    (_, metrics), grads = jax.value_and_grad(
        lambda p: pair_loss(model, p, frames, keys, pairs=pairs, beta=beta),
        has_aux=True)(sub.params)
    return step_lib.apply_gradients(sub, grads, dict(metrics, beta=beta), tx,
                                    axis_name=axis_name)
  return step_lib.on_part(state, "tdvae", step)


def baseline_loss(predictor: JumpPredictor, params, frames: jax.Array,
                  keys: jax.Array, *, pairs: int) -> tuple[jax.Array, dict]:
  """Mean -log p(x_t2 | x_1..t1) of the deterministic predictor over
  `pairs` time pairs per sequence, drawn as TD-VAE's are, and the mean
  squared error of its predicted means."""
  call = lambda method, *a: predictor.apply({"params": params}, *a,
                                            method=method)
  b = call(JumpPredictor.beliefs, frames)
  t1, jump, _ = draw_pairs(keys, length=frames.shape[1],
                           max_jump=predictor.max_jump, pairs=pairs)
  rows = jnp.arange(frames.shape[0])[:, None]
  take = lambda a, t: a[rows, t].reshape((-1,) + a.shape[2:])
  x = take(frames, t1 + jump)
  x = x.reshape(x.shape[0], -1).astype(jnp.float32)
  out, logvar = call(JumpPredictor.predict, take(b, t1), jump.reshape(-1))
  loss = -jnp.mean(log_likelihood(predictor.likelihood, x, out, logvar))
  mse = jnp.mean(jnp.square(mean_of(predictor.likelihood, out) - x))
  return loss, {"loss": loss, "mse": mse}


def baseline_step(state, batch, *, predictor: JumpPredictor, tx, pairs: int,
                  axis_name=None):
  """One step of the deterministic predictor on `batch["frames"]`."""
  frames = batch["frames"]
  keys = distributions.per_example_keys(
      step_lib.step_key(state), frames.shape[0],
      step_lib.example_offset(frames.shape[0], axis_name))

  def step(sub):
    (_, metrics), grads = jax.value_and_grad(
        lambda p: baseline_loss(predictor, p, frames, keys, pairs=pairs),
        has_aux=True)(sub.params)
    return step_lib.apply_gradients(sub, grads, metrics, tx,
                                    axis_name=axis_name)
  return step_lib.on_part(state, "baseline", step)


def build(config: ml_collections.ConfigDict, spec,
          workdir: str | None = None) -> Method:
  """TD-VAE (and its baseline) for the `frames` of `spec`."""
  t = config.tdvae
  frames_shape = tuple(spec.shape("frames"))
  tdvae_config.check_length(t, frames_shape[0])
  model, predictor = make_models(t, frames_shape[1:])
  predictor = predictor if config.baseline.num_steps > 0 else None
  tx = optim.build(config)
  phases = [Phase("train", config.train.num_steps, functools.partial(
      train_step, model=model, tx=tx, pairs=t.pairs,
      warmup_steps=t.warmup_steps))]
  if predictor is not None:
    phases.append(Phase("baseline", config.baseline.num_steps,
                        functools.partial(baseline_step, predictor=predictor,
                                          tx=tx, pairs=t.pairs)))
  st = tdvae_eval.setting(
      config, model, predictor, spec, workdir,
      terms_fn=functools.partial(pair_terms, model, pairs=t.pairs))
  return Method(
      init=step_lib.jit_once(functools.partial(
          init, model=model, baseline=predictor, tx=tx,
          frames_shape=frames_shape)),
      phases=tuple(phases),
      evaluate=functools.partial(tdvae_eval.evaluate, st=st),
      figures=viz_tdvae.figures,
      report_notes=functools.partial(tdvae_eval.report_notes, t=t,
                                     length=frames_shape[0]),
      fingerprint={"method": "tdvae",
                   "model": {f: t[f] for f in FINGERPRINT_FIELDS},
                   "baseline": predictor is not None,
                   "frames_shape": list(frames_shape)})
