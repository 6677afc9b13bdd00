"""Variational autoencoders: the VAE, beta-VAE and the capacity-annealed VAE.

Training maximises the ELBO E_q[log p(x|z)] - beta KL(q(z|x) || p(z)) with the
reparameterisation trick (Kingma & Welling 2014, arXiv:1312.6114); beta > 1
gives the beta-VAE (Higgins et al. 2017); `loss.capacity_max > 0` the
objective gamma |KL - C| with C raised linearly (Burgess et al. 2018,
arXiv:1804.03599). The test NLL is the importance-weighted bound with k
samples (Burda et al. 2016). Maths: `ops/distributions.py`, `losses/elbo.py`,
`eval/likelihood.py`.
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.eval import likelihood
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import elbo
from unsup_jax.methods import base, common
from unsup_jax.models.vae import VAE
from unsup_jax.ops import distributions, schedules
from unsup_jax.training import optim, state as state_lib, step as step_lib


def kl_weights(step: jax.Array, loss_config) -> tuple[jax.Array, jax.Array | None]:
  """(beta, capacity) at `step`: KL warm-up and the capacity ramp."""
  beta = schedules.linear_ramp(step, start_value=0.0,
                               end_value=loss_config.beta,
                               ramp_steps=loss_config.kl_warmup_steps)
  capacity = None
  if loss_config.capacity_max > 0:
    capacity = schedules.linear_ramp(step, start_value=0.0,
                                     end_value=loss_config.capacity_max,
                                     ramp_steps=loss_config.capacity_steps)
  return beta, capacity


def build(config: ml_collections.ConfigDict,
          image_shape: tuple[int, int, int]) -> base.Method:
  """The VAE method for images of `image_shape`."""
  m = config.model
  common.check_likelihood(m.likelihood, ("bernoulli", "gaussian"))
  model = VAE(kind=m.kind, encoder_hidden=tuple(m.encoder_hidden),
              decoder_hidden=tuple(m.decoder_hidden), latent_dim=m.latent_dim,
              image_shape=image_shape, likelihood=m.likelihood)
  tx = optim.build(config)
  apply = lambda params, *a, method: model.apply({"params": params}, *a,
                                                 method=method)

  @jax.jit
  def init(key, batch):
    param_key, run_key = jax.random.split(key)
    params = model.init(param_key, batch["image"][:1])["params"]
    return state_lib.create(run_key, params, tx)

  def terms(params, x, keys):
    """Single-sample (log p(x|z) [B], KL [B], mean, decoded)."""
    mean, logvar = apply(params, x, method=VAE.encode)
    z = jax.vmap(distributions.reparameterize)(keys, mean, logvar)
    decoded = apply(params, z, method=VAE.decode)
    log_lik = apply(params, x, decoded, method=VAE.log_likelihood)
    return log_lik, distributions.kl_standard_normal(mean, logvar), mean

  def train_step(state, batch, *, axis_name=None):
    x = batch["image"]
    keys = distributions.per_example_keys(
        step_lib.step_key(state), x.shape[0],
        step_lib.example_offset(x.shape[0], axis_name))
    beta, capacity = kl_weights(state.step, config.loss)

    def loss_fn(params):
      log_lik, kl, _ = terms(params, x, keys)
      return elbo.negative_elbo(log_lik, kl, beta=beta, capacity=capacity,
                                gamma=config.loss.gamma)

    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params)
    metrics = dict(metrics, beta=beta)
    return step_lib.apply_gradients(state, grads, metrics, tx,
                                    axis_name=axis_name)

  @functools.partial(jax.jit, static_argnames="num_samples")
  def eval_batch(key, params, x, num_samples):
    sample_key, iwae_key = jax.random.split(key)
    keys = jax.random.split(sample_key, x.shape[0])
    log_lik, kl, mean = terms(params, x, keys)
    _, logvar = apply(params, x, method=VAE.encode)
    decoded = apply(params, mean, method=VAE.decode)
    recon = apply(params, decoded, method=VAE.mean_image)
    log_lik_fn = lambda xx, z: apply(params, xx, apply(params, z,
                                                       method=VAE.decode),
                                     method=VAE.log_likelihood)
    log_px = likelihood.iwae_log_likelihood(
        iwae_key, x, mean, logvar, log_lik_fn, num_samples=num_samples,
        chunk=config.eval.iwae_chunk)
    mse = jnp.mean(jnp.square(recon - x).reshape(x.shape[0], -1), axis=1)
    return dict(rec=-log_lik, kl=kl, nll=-log_px, mse=mse, mean=mean)

  def evaluate(state, images, labels, key, *, full=True):
    k = config.eval.iwae_samples if full else config.eval.quick_iwae_samples
    out = map_batches(lambda kk, x: eval_batch(kk, state.params, x, k),
                      images, batch_size=config.eval.batch_size, key=key)
    rec, kl = float(np.mean(out["rec"])), float(np.mean(out["kl"]))
    metrics = {"elbo": -(rec + kl), "loss_rec": rec, "loss_kl": kl,
               "nll": float(np.mean(out["nll"])),
               "mse": float(np.mean(out["mse"])),
               "active_units": int(likelihood.active_units(out["mean"]))}
    if full:
      metrics["iwae_samples"] = k
      metrics.update(common.probe_codes(
          config, lambda x: apply(state.params, x, method=VAE.encode)[0],
          out["mean"], images, labels))
    return metrics

  def figures(state, images, labels, key, outdir):
    params = state.params
    encode = jax.jit(lambda x: apply(params, x, method=VAE.encode))
    decode = jax.jit(lambda z: apply(params, apply(params, z, method=VAE.decode),
                                     method=VAE.mean_image))
    means, _ = map_batches(encode, images,
                                 batch_size=config.eval.batch_size)
    prior = jax.random.normal(key, (64, m.latent_dim))
    order = np.argsort(-np.var(means, axis=0))  # most active units first
    return common.latent_figures(
        outdir, images=images, labels=labels, codes=means, decode=decode,
        prior_samples=decode(prior), traversal_dims=order)

  fingerprint = dict(method="vae", **common.model_fingerprint(
      m, ("kind", "encoder_hidden", "decoder_hidden", "latent_dim",
          "likelihood"), image_shape))
  return base.Method(init, train_step, evaluate, figures, fingerprint,
                     report_notes=common.probe_notes)
