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
(`methods/dec.py`); the "centres" shown are the prior's means. Config:
`configs/vade.py`.
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import clustering as cluster_losses
from unsup_jax.methods import dec
from unsup_jax.models import vae as vae_models
from unsup_jax.ops import clustering, distributions
from unsup_jax.training import step as step_lib
from unsup_jax.training.contract import Method

LIKELIHOOD = {"bce": "bernoulli", "mse": "gaussian"}


class VaDE(dec.DEC):
  """DEC's stages with a VAE and a mixture prior in place of the centres."""

  START = "gmm"

  def __init__(self, config: ml_collections.ConfigDict, spec):
    super().__init__(config, spec)
    a = self.a
    self.model = vae_models.VAE(
        kind=a.kind, encoder_hidden=tuple(a.encoder_hidden),
        decoder_hidden=tuple(a.decoder_hidden), latent_dim=a.latent_dim,
        image_shape=tuple(spec.image_shape),
        likelihood=LIKELIHOOD[a.likelihood])
    self.title = "VaDE"

  def posterior(self, params, x):
    """q(z | x): (mean, logvar)."""
    return self.model.apply({"params": params["autoencoder"]}, x,
                            method=vae_models.VAE.encode)

  def encode(self, params, x):
    return self.posterior(params, x)[0]

  def decode(self, params, z):
    return self.model.apply({"params": params["autoencoder"]}, z,
                            method=vae_models.VAE.decode)

  def centres(self, params):
    return params["prior"]["means"]

  def init_params(self, key, x):
    vae = self.model.init(key, x)["params"]
    k, d = self.c.num_clusters, self.a.latent_dim
    return {"autoencoder": vae,
            "prior": {"logits": jnp.zeros((k,)), "means": jnp.zeros((k, d)),
                      "log_vars": jnp.zeros((k, d))}}

  def pretrain_step(self, state, batch, *, axis_name=None):
    """The decoder's log-likelihood of x decoded from z = mean(x)."""
    x = self.augmented(state, batch, axis_name)["image"]

    def loss_fn(params):
      out = self.decode(params, self.encode(params, x))
      rec = -jnp.mean(self.model.apply(
          {"params": params["autoencoder"]}, x, out,
          method=vae_models.VAE.log_likelihood))
      return rec, {"loss": rec}

    def update(sub):
      (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
          {"autoencoder": sub.params})
      return step_lib.apply_gradients(sub, grads["autoencoder"], metrics,
                                      self.pretrain_tx, axis_name=axis_name)
    return step_lib.on_part(state, "autoencoder", update)

  def start_hook(self, state, data, key):
    """The prior from a diagonal GMM of the encoded training set."""
    train = data.split("train")
    codes = self.encode_all(state.params, train["image"])
    fit = jax.device_get(jax.jit(functools.partial(
        clustering.gmm, num_clusters=self.c.num_clusters, covariance="diag",
        restarts=self.c.kmeans_restarts))(key, jnp.asarray(codes)))
    g = fit.gmm
    prior = {"logits": np.log(np.asarray(g.weights)),
             "means": np.asarray(g.means),
             "log_vars": np.log(np.asarray(g.covariances))}
    labels = np.asarray(jax.jit(clustering.predict)(jnp.asarray(codes), g))
    return self.started(state.replace(params=dict(state.params, prior=prior)),
                        train, codes, labels)

  def soft_assignments(self, params, images: np.ndarray) -> np.ndarray:
    """`[N, K]` p(c | z = mean(x))."""
    prior = params["prior"]
    fn = jax.jit(lambda x: cluster_losses.mixture_posterior(
        self.encode(params, x), prior["logits"], prior["means"],
        prior["log_vars"]))
    return map_batches(fn, images, batch_size=self.config.eval.batch_size)

  def refresh_hook(self, state, data, key):
    del key  # Deterministic.
    train = data.split("train")
    return self.record(state, train,
                       self.soft_assignments(state.params, train["image"]))

  def cluster_loss(self, params, *, state, batch, axis_name=None):
    """The negative ELBO of the batch, one z per example."""
    x = batch["image"]
    mean, logvar = self.posterior(params, x)
    keys = distributions.per_example_keys(
        step_lib.step_key(state), x.shape[0],
        step_lib.example_offset(x.shape[0], axis_name))
    z = jax.vmap(distributions.reparameterize)(keys, mean, logvar)
    out = self.decode(params, z)
    log_lik = self.model.apply({"params": params["autoencoder"]}, x, out,
                               method=vae_models.VAE.log_likelihood)
    loss, metrics = cluster_losses.vade_loss(log_lik, z, mean, logvar,
                                             params["prior"])
    return loss, metrics


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """VaDE for the images of `spec`."""
  return VaDE(config, spec).method()
