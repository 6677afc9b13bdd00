"""Variational autoencoders: the VAE, beta-VAE and the capacity-annealed VAE.

Training maximises the ELBO E_q[log p(x|z)] - beta KL(q(z|x) || p(z)) with the
reparameterisation trick (Kingma & Welling 2014, arXiv:1312.6114); beta > 1
gives the beta-VAE (Higgins et al. 2017); `vae.capacity_max > 0` the
objective gamma |KL - C| with C raised linearly (Burgess et al. 2018,
arXiv:1804.03599). The test NLL is the importance-weighted bound with k
samples (Burda et al. 2016). Maths: `ops/distributions.py`, `losses/elbo.py`,
`eval/likelihood.py`; config: `configs/vae.py`.
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from unsup_jax.eval import likelihood
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import elbo
from unsup_jax.methods import common
from unsup_jax.models.vae import VAE
from unsup_jax.ops import distributions, schedules
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import Method, Phase

FINGERPRINT_FIELDS = ("kind", "encoder_hidden", "decoder_hidden",
                      "latent_dim", "likelihood")


def make_model(v: ml_collections.ConfigDict, image_shape) -> VAE:
  """The Flax VAE of section `v` (`config.vae`) for `image_shape`."""
  return VAE(kind=v.kind, encoder_hidden=tuple(v.encoder_hidden),
             decoder_hidden=tuple(v.decoder_hidden), latent_dim=v.latent_dim,
             image_shape=tuple(image_shape), likelihood=v.likelihood)


def kl_weights(step: jax.Array, v) -> tuple[jax.Array, jax.Array | None]:
  """(beta, capacity) at `step`: KL warm-up and the capacity ramp."""
  beta = schedules.linear_ramp(step, start_value=0.0, end_value=v.beta,
                               ramp_steps=v.kl_warmup_steps)
  capacity = None
  if v.capacity_max > 0:
    capacity = schedules.linear_ramp(step, start_value=0.0,
                                     end_value=v.capacity_max,
                                     ramp_steps=v.capacity_steps)
  return beta, capacity


def _apply(model, params, *args, method):
  return model.apply({"params": params}, *args, method=method)


def terms(model: VAE, params, x: jax.Array, keys: jax.Array):
  """Single-sample (log p(x|z) [B], KL [B], posterior mean [B, D])."""
  mean, logvar = _apply(model, params, x, method=VAE.encode)
  z = jax.vmap(distributions.reparameterize)(keys, mean, logvar)
  decoded = _apply(model, params, z, method=VAE.decode)
  log_lik = _apply(model, params, x, decoded, method=VAE.log_likelihood)
  return log_lik, distributions.kl_standard_normal(mean, logvar), mean


def init(key: jax.Array, batch: dict, *, model: VAE,
         tx: optax.GradientTransformation) -> state_lib.TrainState:
  param_key, run_key = jax.random.split(key)
  params = model.init(param_key, batch["image"][:1])["params"]
  return state_lib.create(run_key, params, tx)


def train_step(state, batch, *, model: VAE, tx, v, axis_name=None):
  """One ELBO step on `batch["image"]` `[B, H, W, C]`."""
  x = batch["image"]
  keys = distributions.per_example_keys(
      step_lib.step_key(state), x.shape[0],
      step_lib.example_offset(x.shape[0], axis_name))
  beta, capacity = kl_weights(state.step, v)

  def loss_fn(params):
    log_lik, kl, _ = terms(model, params, x, keys)
    return elbo.negative_elbo(log_lik, kl, beta=beta, capacity=capacity,
                              gamma=v.gamma)

  (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params)
  return step_lib.apply_gradients(state, grads, dict(metrics, beta=beta), tx,
                                  axis_name=axis_name)


@functools.partial(jax.jit, static_argnames=("model", "num_samples", "chunk"))
def eval_batch(key, params, x, *, model: VAE, num_samples: int, chunk: int):
  """Per-example test terms of `x` `[B, ...]`: rec, kl, nll (IWAE, k =
  num_samples), mse of the mean reconstruction, posterior mean."""
  sample_key, iwae_key = jax.random.split(key)
  log_lik, kl, mean = terms(model, params, x,
                            jax.random.split(sample_key, x.shape[0]))
  _, logvar = _apply(model, params, x, method=VAE.encode)
  recon = _apply(model, params, _apply(model, params, mean, method=VAE.decode),
                 method=VAE.mean_image)
  log_lik_fn = lambda xx, z: _apply(
      model, params, xx, _apply(model, params, z, method=VAE.decode),
      method=VAE.log_likelihood)
  log_px = likelihood.iwae_log_likelihood(
      iwae_key, x, mean, logvar, log_lik_fn, num_samples=num_samples,
      chunk=chunk)
  mse = jnp.mean(jnp.square(recon - x).reshape(x.shape[0], -1), axis=1)
  return dict(rec=-log_lik, kl=kl, nll=-log_px, mse=mse, mean=mean)


def evaluate(state, data, key, *, full: bool, model: VAE, config):
  """Test ELBO and its terms, IWAE NLL, MSE and active units; with `full`
  also the linear probes and the latent figures' arrays."""
  v = config.vae
  test = data.split("test")
  images, labels = test["image"], common.labels_of(test)
  iwae_key, prior_key = jax.random.split(key)
  k = v.iwae_samples if full else v.quick_iwae_samples
  out = map_batches(
      lambda kk, x: eval_batch(kk, state.params, x, model=model,
                               num_samples=k, chunk=v.iwae_chunk),
      images, batch_size=config.eval.batch_size, key=iwae_key)
  rec, kl = float(np.mean(out["rec"])), float(np.mean(out["kl"]))
  metrics = {"elbo": -(rec + kl), "loss_rec": rec, "loss_kl": kl,
             "nll": float(np.mean(out["nll"])),
             "mse": float(np.mean(out["mse"])),
             "active_units": int(likelihood.active_units(out["mean"]))}
  if not full:
    return metrics, {}
  metrics["iwae_samples"] = k
  params = state.params
  encode = lambda x: _apply(model, params, x, method=VAE.encode)[0]
  metrics.update(common.probe_codes(config, v, encode, out["mean"], data))
  decode = jax.jit(lambda z: _apply(
      model, params, _apply(model, params, z, method=VAE.decode),
      method=VAE.mean_image))
  prior = jax.random.normal(prior_key, (64, v.latent_dim))
  order = np.argsort(-np.var(out["mean"], axis=0))  # most active units first
  outputs = common.latent_outputs(
      images=images, labels=labels, codes=out["mean"], decode=decode,
      prior_samples=decode(prior), traversal_dims=order)
  return metrics, outputs


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """The VAE method for the images of `spec`."""
  v = config.vae
  model = make_model(v, spec.image_shape)
  tx = optim.build(config)
  fingerprint = dict(method="vae", **common.model_fingerprint(
      v, FINGERPRINT_FIELDS, spec))
  step = functools.partial(train_step, model=model, tx=tx, v=v)
  return Method(
      init=step_lib.jit_once(functools.partial(init, model=model, tx=tx)),
      phases=(Phase("train", config.train.num_steps, step),),
      evaluate=functools.partial(evaluate, model=model, config=config),
      figures=common.latent_figures, fingerprint=fingerprint,
      report_notes=common.probe_notes)
