"""Variational autoencoders: the VAE, beta-VAE and the capacity-annealed VAE.

Training maximises the ELBO E_q[log p(x|z)] - beta KL(q(z|x) || p(z)) with the
reparameterisation trick (Kingma & Welling 2014, arXiv:1312.6114); beta > 1
gives the beta-VAE (Higgins et al. 2017); `vae.capacity_max > 0` the
objective gamma |KL - C| with C raised linearly (Burgess et al. 2018,
arXiv:1804.03599). The test NLL is the importance-weighted bound with k
samples (Burda et al. 2016). Maths: `ops/distributions.py`, `losses/elbo.py`,
`eval/likelihood.py`; config: `configs/vae.py`.

Disentangling objectives (`vae.objective`, maths in
`losses/disentanglement.py`): "tcvae" replaces the KL term by β-TCVAE's
alpha MI + beta TC + gamma dimension-wise KL (Chen et al. 2018,
arXiv:1802.04942; q(z) estimated over the batch for the training set's
`num_train_examples`); "dip_vae_i" / "dip_vae_ii" add DIP-VAE's covariance
penalty to the beta-weighted KL (Kumar et al. 2018, arXiv:1711.00848).
On a dataset with factors of variation, evaluation adds the
disentanglement metrics (`eval/disentanglement/representation.py`).
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from unsup_jax.data.dataset import labels_of
from unsup_jax.errors import UserError
from unsup_jax.eval import latents, likelihood, probes
from unsup_jax.eval.batched import map_batches
from unsup_jax.eval.disentanglement import representation
from unsup_jax.losses import disentanglement, elbo
from unsup_jax.models import vae as vae_models
from unsup_jax.models.vae import VAE
from unsup_jax.ops import distributions, schedules
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import Method, Phase, model_fingerprint
from unsup_jax.viz import disentanglement as viz_disentanglement
from unsup_jax.viz import latents as viz_latents

FINGERPRINT_FIELDS = ("kind", "encoder_hidden", "decoder_hidden",
                      "latent_dim", "likelihood")


def kl_weights(step: jax.Array, v) -> tuple[jax.Array, jax.Array | None]:
  """(beta, capacity) at `step`: the KL weight's schedule
  (`vae.kl_schedule` over `vae.kl_warmup_steps`) and the capacity ramp."""
  beta = schedules.kl_weight(step, v.kl_schedule, end_value=v.beta,
                             steps=v.kl_warmup_steps,
                             ramp_fraction=v.kl_ramp_fraction)
  capacity = None
  if v.capacity_max > 0:
    capacity = schedules.linear_ramp(step, start_value=0.0,
                                     end_value=v.capacity_max,
                                     ramp_steps=v.capacity_steps)
  return beta, capacity


def _apply(model, params, *args, method):
  return model.apply({"params": params}, *args, method=method)


def posterior_terms(model: VAE, params, x: jax.Array, keys: jax.Array):
  """Single-sample `{log_lik [B], kl [B], kl_units [B, D], mean, logvar,
  z [B, D]}`."""
  mean, logvar = _apply(model, params, x, method=VAE.encode)
  z = jax.vmap(distributions.reparameterize)(keys, mean, logvar)
  decoded = _apply(model, params, z, method=VAE.decode)
  log_lik = _apply(model, params, x, decoded, method=VAE.log_likelihood)
  kl_units = distributions.kl_standard_normal_units(mean, logvar)
  return dict(log_lik=log_lik, kl=jnp.sum(kl_units, axis=-1),
              kl_units=kl_units, mean=mean, logvar=logvar, z=z)


def mean_image(model: VAE, params, z: jax.Array) -> jax.Array:
  """The decoder's mean image of codes `z` `[N, D]` (Bernoulli means or
  Gaussian means): what samples and reconstructions show."""
  return _apply(model, params, _apply(model, params, z, method=VAE.decode),
                method=VAE.mean_image)


def terms(model: VAE, params, x: jax.Array, keys: jax.Array):
  """Single-sample (log p(x|z) [B], KL [B], posterior mean [B, D])."""
  t = posterior_terms(model, params, x, keys)
  return t["log_lik"], t["kl"], t["mean"]


def objective(t: dict, v, beta, capacity, dataset_size: int,
              axis_name=None):
  """`(loss, metrics)` of `vae.objective` from `posterior_terms`. The
  batch-level penalties (β-TCVAE's q(z), DIP-VAE's covariance) see the
  global batch: under pmap the posteriors are gathered from every device,
  so that eight devices compute what one does (the gathered copies'
  gradients sum back to their devices, and the engine averages them)."""
  if v.objective != "elbo" and axis_name is not None:
    gather = lambda a: jax.lax.all_gather(a, axis_name, tiled=True)
    t = dict(t, **{k: gather(t[k]) for k in ("z", "mean", "logvar")})
  loss, metrics = elbo.negative_elbo(t["log_lik"], t["kl"], beta=beta,
                                     capacity=capacity, gamma=v.gamma)
  if v.free_bits > 0:
    kl_term = jnp.mean(schedules.free_bits(t["kl_units"], v.free_bits))
    loss = metrics["loss_rec"] + beta * kl_term
    metrics = dict(metrics, loss=loss, loss_kl_free_bits=kl_term)
  if v.objective == "tcvae":
    penalty, parts = disentanglement.tcvae_penalty(
        t["z"], t["mean"], t["logvar"], dataset_size, alpha=v.tc_alpha,
        beta=beta, gamma=v.tc_gamma, estimator=v.tc_estimator)
    loss = metrics["loss_rec"] + penalty
    metrics = dict(metrics, loss=loss, **parts)
  elif v.objective.startswith("dip_vae"):
    penalty, _ = disentanglement.dip_penalty(
        t["mean"], t["logvar"], kind=v.objective.rsplit("_", 1)[1],
        lambda_od=v.dip_lambda_od, lambda_d=v.dip_lambda_d)
    loss = loss + penalty
    metrics = dict(metrics, loss=loss, dip_penalty=penalty)
  return loss, metrics


def init(key: jax.Array, batch: dict, *, model: VAE,
         tx: optax.GradientTransformation) -> state_lib.TrainState:
  param_key, run_key = jax.random.split(key)
  params = model.init(param_key, batch["image"][:1])["params"]
  return state_lib.create(run_key, params, tx)


def train_step(state, batch, *, model: VAE, tx, v, dataset_size: int = 0,
               axis_name=None):
  """One step of `vae.objective` on `batch["image"]` `[B, H, W, C]`."""
  x = batch["image"]
  keys = distributions.per_example_keys(
      step_lib.step_key(state), x.shape[0],
      step_lib.example_offset(x.shape[0], axis_name))
  beta, capacity = kl_weights(state.step, v)

  def loss_fn(params):
    return objective(posterior_terms(model, params, x, keys), v, beta,
                     capacity, dataset_size, axis_name)

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
  return dict(rec=-log_lik, kl=kl, nll=-log_px, mse=mse, mean=mean,
              logvar=logvar)


def test_terms(state, images, key, *, model: VAE, v, full: bool,
               batch_size: int) -> tuple[dict, dict]:
  """Test ELBO and its terms, IWAE NLL (k = `iwae_samples`, or
  `quick_iwae_samples` when not `full`), MSE and active units of `images`;
  and the per-example terms."""
  k = v.iwae_samples if full else v.quick_iwae_samples
  out = map_batches(
      lambda kk, x: eval_batch(kk, state.params, x, model=model,
                               num_samples=k, chunk=v.iwae_chunk),
      images, batch_size=batch_size, key=key)
  rec, kl = float(np.mean(out["rec"])), float(np.mean(out["kl"]))
  metrics = {"elbo": -(rec + kl), "loss_rec": rec, "loss_kl": kl,
             "nll": float(np.mean(out["nll"])),
             "mse": float(np.mean(out["mse"])),
             "active_units": int(likelihood.active_units(out["mean"]))}
  if full:
    metrics["iwae_samples"] = k
  return metrics, out


def disentanglement_terms(encode, data, out: dict, config) -> tuple[dict,
                                                                   dict]:
  """The disentanglement metrics of the posterior means (`encode`) on
  factor data, and their outputs with each traversal row's main factor."""
  v = config.vae
  encode_fn = jax.jit(encode)
  metrics, outputs = representation.evaluate(
      lambda x: map_batches(encode_fn, np.asarray(x, np.float32),
                            batch_size=config.eval.batch_size),
      data, seed=config.seed, scale=v.disentangle_scale,
      dci_trees=v.disentangle_dci_trees, batch_size=v.disentangle_batch,
      mi_points=v.disentangle_mi_points,
      test_mean=out["mean"], test_logvar=out["logvar"])
  return metrics, outputs


def evaluate(state, data, key, *, full: bool, model: VAE, config):
  """Test ELBO and its terms, IWAE NLL, MSE and active units; with `full`
  also the linear probes, the latent figures' arrays and, on factor data,
  the disentanglement metrics."""
  v = config.vae
  test = data.split("test")
  images = test["image"]
  iwae_key, prior_key = jax.random.split(key)
  metrics, out = test_terms(state, images, iwae_key, model=model, v=v,
                            full=full, batch_size=config.eval.batch_size)
  if not full:
    return metrics, {}
  params = state.params
  encode = lambda x: _apply(model, params, x, method=VAE.encode)[0]
  metrics.update(probes.probe_encoder(
      encode, out["mean"], data, label_counts=v.probe_labels,
      batch_size=config.eval.batch_size, seed=config.seed))
  decode = jax.jit(functools.partial(mean_image, model, params))
  prior = jax.random.normal(prior_key, (64, v.latent_dim))
  order = np.argsort(-np.var(out["mean"], axis=0))  # most active units first
  outputs = latents.latent_outputs(
      images=images, labels=labels_of(test), codes=out["mean"],
      decode=decode, prior_samples=decode(prior), traversal_dims=order)
  if representation.has_factors(data):
    d_metrics, d_out = disentanglement_terms(encode, data, out, config)
    metrics.update(d_metrics)
    outputs.update(d_out)
    outputs["traversal_labels"] = [f"z{d}: {d_out['unit_factor'][d]}"
                                   for d in outputs["traversal_dims"]]
  return metrics, outputs


def figures(outputs: dict, outdir: str) -> dict:
  """The latent figures, and the disentanglement ones on factor data."""
  return {**viz_latents.latent_figures(outputs, outdir),
          **viz_disentanglement.representation_figures(outputs, outdir)}


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """The VAE method for the images of `spec`."""
  v = config.vae
  if v.objective == "tcvae" and "num_train_examples" not in spec.meta:
    raise UserError("config.vae.objective 'tcvae' needs the number of "
                    "training examples, which this data does not give")
  model = vae_models.from_config(v, spec.image_shape)
  tx = optim.build(config)
  step = functools.partial(
      train_step, model=model, tx=tx, v=v,
      dataset_size=int(spec.meta.get("num_train_examples", 0)))
  return Method(
      init=step_lib.jit_once(functools.partial(init, model=model, tx=tx)),
      phases=(Phase("train", config.train.num_steps, step),),
      evaluate=functools.partial(evaluate, model=model, config=config),
      figures=figures, report_notes=probes.probe_notes,
      fingerprint=dict(method="vae", **model_fingerprint(
          v, FINGERPRINT_FIELDS, spec)))
