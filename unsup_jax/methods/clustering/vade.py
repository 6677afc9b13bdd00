"""VaDE: variational deep embedding (Jiang et al. 2017, IJCAI).

A VAE (`models/vae.py`) whose prior is a mixture of Gaussians: p(c) =
softmax(logits), p(z | c) = N(means_c, exp(log_vars_c)). Every stage runs in
one resumable run, so no external weights are needed:

1. phase "train": the encoder's mean and the decoder pre-trained as a
   deterministic autoencoder (z = mean) with `config.optim`;
2. hook "gmm": a diagonal Gaussian mixture fitted by EM to the encoded
   training set (`ops/clustering.gmm`, from the best of
   `cluster.kmeans_restarts` k-means runs) becomes the prior;
3. phase "cluster": the ELBO of `losses/clustering.vade_loss` on every
   parameter (encoder, decoder and prior), q(c | x) = p(c | z) at the
   sampled z. Every `update_interval` steps a hook records the training-set
   scores of the assignments argmax_c p(c | mean) (no stop rule).

Evaluation, figures and the exported assignments are DEC's
(`deep_clustering.py`); the "centres" shown are the prior's means. Config:
`configs/vade.py`.
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.losses import clustering as cluster_losses
from unsup_jax.methods.clustering import deep_clustering as deep
from unsup_jax.methods.compression import autoencoder as ae_method
from unsup_jax.models.vae import VAE
from unsup_jax.ops import clustering, distributions
from unsup_jax.training import optim, step as step_lib
from unsup_jax.training.contract import (Hook, Method, Phase,
                                         model_fingerprint)

LIKELIHOOD = {"bce": "bernoulli", "mse": "gaussian"}


def make_model(a, image_shape) -> VAE:
  """The VAE of the `autoencoder` section `a` (its likelihood by name)."""
  return VAE(kind=a.kind, encoder_hidden=tuple(a.encoder_hidden),
             decoder_hidden=tuple(a.decoder_hidden), latent_dim=a.latent_dim,
             image_shape=tuple(image_shape),
             likelihood=LIKELIHOOD[a.likelihood])


def _apply(model: VAE, params, *args, method):
  return model.apply({"params": params["autoencoder"]}, *args, method=method)


def encode(params, x, *, model: VAE):
  """The posterior mean of q(z | x)."""
  return _apply(model, params, x, method=VAE.encode)[0]


def assign(params, x, *, model: VAE):
  """`[B, K]` p(c | z = mean(x)) under the mixture prior."""
  prior = params["prior"]
  return cluster_losses.mixture_posterior(
      encode(params, x, model=model), prior["logits"], prior["means"],
      prior["log_vars"])


def embedding(model: VAE) -> deep.Embedding:
  return deep.Embedding(functools.partial(encode, model=model),
                       functools.partial(assign, model=model),
                       lambda params: params["prior"]["means"], "gmm")


def init(key, batch, *, model: VAE, c, num_train: int, pretrain_tx,
         cluster_tx):
  param_key, run_key = jax.random.split(key)
  k, d = c.num_clusters, model.latent_dim
  params = {"autoencoder": model.init(param_key, batch["image"][:1])["params"],
            "prior": {"logits": jnp.zeros((k,)), "means": jnp.zeros((k, d)),
                      "log_vars": jnp.zeros((k, d))}}
  return deep.new_state(run_key, params, dim=d, num_train=num_train, c=c,
                       pretrain_tx=pretrain_tx, cluster_tx=cluster_tx)


def pretrain_step(state, batch, *, model: VAE, tx, policy: str,
                  axis_name=None):
  """The decoder's log-likelihood of x decoded from z = mean(x)."""
  x = deep.augmented(state, batch, axis_name, policy=policy)["image"]

  def loss_fn(params):
    out = _apply(model, params, encode(params, x, model=model),
                 method=VAE.decode)
    rec = -jnp.mean(_apply(model, params, x, out, method=VAE.log_likelihood))
    return rec, {"loss": rec}

  def update(sub):
    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        {"autoencoder": sub.params})
    return step_lib.apply_gradients(sub, grads["autoencoder"], metrics, tx,
                                    axis_name=axis_name)
  return step_lib.on_part(state, "autoencoder", update)


def gmm_hook(state, data, key, *, emb: deep.Embedding, c, batch_size: int):
  """The prior from a diagonal GMM of the encoded training set."""
  train = data.split("train")
  codes = deep.encode_all(emb, state.params, train["image"], batch_size)
  fit = jax.device_get(jax.jit(functools.partial(
      clustering.gmm, num_clusters=c.num_clusters, covariance="diag",
      restarts=c.kmeans_restarts))(key, jnp.asarray(codes)))
  g = fit.gmm
  prior = {"logits": np.log(np.asarray(g.weights)),
           "means": np.asarray(g.means),
           "log_vars": np.log(np.asarray(g.covariances))}
  labels = np.asarray(jax.jit(clustering.predict)(jnp.asarray(codes), g))
  return deep.started(state.replace(params=dict(state.params, prior=prior)),
                      train, codes, labels)


def refresh_hook(state, data, key, *, emb: deep.Embedding, c, first_step: int,
                 batch_size: int):
  """The training-set scores of the current assignments (no targets)."""
  del key  # Deterministic.
  train = data.split("train")
  q = deep.soft_assignments(emb, state.params, train["image"], batch_size)
  return deep.record(state, train, q, c=c, first_step=first_step)


def cluster_loss(params, *, state, batch, model: VAE, axis_name=None):
  """The negative ELBO of the batch, one z per example."""
  x = batch["image"]
  mean, logvar = _apply(model, params, x, method=VAE.encode)
  keys = distributions.per_example_keys(
      step_lib.step_key(state), x.shape[0],
      step_lib.example_offset(x.shape[0], axis_name))
  z = jax.vmap(distributions.reparameterize)(keys, mean, logvar)
  log_lik = _apply(model, params, x, _apply(model, params, z,
                                            method=VAE.decode),
                   method=VAE.log_likelihood)
  return cluster_losses.vade_loss(log_lik, z, mean, logvar, params["prior"])


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """VaDE for the images of `spec`."""
  a, c = config.autoencoder, config.cluster
  model = make_model(a, spec.image_shape)
  emb = embedding(model)
  txs = dict(pretrain_tx=optim.build(config),
             cluster_tx=deep.cluster_optimizer(c))
  every = dict(c=c, batch_size=config.eval.batch_size)
  return Method(
      init=step_lib.jit_once(functools.partial(
          init, model=model, c=c, num_train=spec.meta["num_train_examples"],
          **txs)),
      phases=(Phase("train", config.train.num_steps, functools.partial(
          pretrain_step, model=model, tx=txs["pretrain_tx"],
          policy=c.augment)),
              Hook(emb.start, functools.partial(gmm_hook, emb=emb, **every)),
              Phase("cluster", c.num_steps, functools.partial(
                  deep.cluster_step, tx=txs["cluster_tx"], policy=c.augment,
                  loss_fn=functools.partial(cluster_loss, model=model)),
                    every=c.update_interval, hook=functools.partial(
                        refresh_hook, emb=emb,
                        first_step=config.train.num_steps, **every))),
      evaluate=functools.partial(deep.evaluate, emb=emb, config=config,
                                 num_classes=spec.num_classes),
      figures=functools.partial(deep.figures, title="VaDE"),
      report_notes=functools.partial(deep.report_notes, start=emb.start),
      fingerprint=dict(method=config.method, cluster={
          f: c[f] for f in ("kind", "num_clusters")}, **model_fingerprint(
              a, ae_method.FINGERPRINT_FIELDS, spec)))
