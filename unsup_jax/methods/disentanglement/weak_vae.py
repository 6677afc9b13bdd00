"""Weakly supervised disentanglement from pairs: Ada-GVAE and Ada-ML-VAE.

Locatello et al. (2020), "Weakly-Supervised Disentanglement Without
Compromises", arXiv:2002.02886. Each training example is a pair of images
(`image`, `pair_image`) that share the values of some factors of variation
— how many and which is not given. The encoder's posteriors of the two
images are compared unit by unit; the units whose KL is below the midpoint
of the pair's largest and smallest are taken as shared and replaced, in
both posteriors, by one aggregate (the average of the two Gaussians,
Ada-GVAE, or their product, Ada-ML-VAE; `losses/disentanglement.py`).
The loss is the β-weighted negative ELBO of both images under the
aggregated posteriors. Networks, KL weight and evaluation are the VAE's
(`methods/vae/vae.py`; on factor data the disentanglement metrics).
Config: `configs/weak_vae.py`.
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections

from unsup_jax.eval import probes
from unsup_jax.losses import disentanglement, elbo
from unsup_jax.methods.vae import vae
from unsup_jax.models import vae as vae_models
from unsup_jax.models.vae import VAE
from unsup_jax.ops import distributions
from unsup_jax.training import optim, step as step_lib
from unsup_jax.training.contract import Method, Phase, model_fingerprint


def pair_loss(model, params, x_a, x_b, keys_a, keys_b, *, beta,
              aggregation: str):
  """`(loss, metrics)`: the pair's negative ELBO (mean over the batch of
  both images' terms) under posteriors aggregated on the shared units."""
  apply = lambda *a, method: model.apply({"params": params}, *a,
                                         method=method)
  mean_a, logvar_a = apply(x_a, method=VAE.encode)
  mean_b, logvar_b = apply(x_b, method=VAE.encode)
  shared = disentanglement.adaptive_shared_units(mean_a, logvar_a, mean_b,
                                                 logvar_b)
  post = disentanglement.aggregate_posteriors(
      mean_a, logvar_a, mean_b, logvar_b, shared, kind=aggregation)
  log_lik, kl = [], []
  for x, keys, (mean, logvar) in ((x_a, keys_a, post[:2]),
                                  (x_b, keys_b, post[2:])):
    z = jax.vmap(distributions.reparameterize)(keys, mean, logvar)
    log_lik.append(apply(x, apply(z, method=VAE.decode),
                         method=VAE.log_likelihood))
    kl.append(distributions.kl_standard_normal(mean, logvar))
  loss, metrics = elbo.negative_elbo(jnp.concatenate(log_lik),
                                     jnp.concatenate(kl), beta=beta)
  return loss, dict(metrics, shared_units=jnp.mean(jnp.sum(shared, 1)))


def train_step(state, batch, *, model, tx, v, aggregation,
               axis_name=None):
  x_a, x_b = batch["image"], batch["pair_image"]
  b = x_a.shape[0]
  key = step_lib.step_key(state)
  offset = step_lib.example_offset(b, axis_name)
  keys_a = distributions.per_example_keys(jax.random.fold_in(key, 0), b,
                                          offset)
  keys_b = distributions.per_example_keys(jax.random.fold_in(key, 1), b,
                                          offset)
  beta, _ = vae.kl_weights(state.step, v)
  (_, metrics), grads = jax.value_and_grad(
      lambda p: pair_loss(model, p, x_a, x_b, keys_a, keys_b, beta=beta,
                          aggregation=aggregation), has_aux=True)(
                              state.params)
  return step_lib.apply_gradients(state, grads, dict(metrics, beta=beta), tx,
                                  axis_name=axis_name)


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """The weakly supervised VAE for the image pairs of `spec`."""
  spec.shape("pair_image")            # a UserError when there are no pairs
  v = config.vae
  model = vae_models.from_config(v, spec.image_shape)
  tx = optim.build(config)
  step = functools.partial(train_step, model=model, tx=tx, v=v,
                           aggregation=config.weak.aggregation)
  return Method(
      init=step_lib.jit_once(functools.partial(vae.init, model=model, tx=tx)),
      phases=(Phase("train", config.train.num_steps, step),),
      evaluate=functools.partial(vae.evaluate, model=model, config=config),
      figures=vae.figures, report_notes=probes.probe_notes,
      fingerprint=dict(method="weak_vae", **model_fingerprint(
          v, vae.FINGERPRINT_FIELDS, spec)))
