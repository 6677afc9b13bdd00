"""The semi-supervised models' networks and M2's bounds on a batch
(`semi_supervised.py` trains them, `semi_supervised_eval.py` scores them).

Kingma, Rezende, Mohamed & Welling (2014), arXiv:1406.5298: M2's bound on
log p(x, y) of a labelled example, and on log p(x) of an unlabelled one
with y summed out over all K classes at once (`losses/semi_supervised.py`
has the bounds' algebra; the networks are `models/semi_supervised.py`).
"""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.errors import UserError
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import semi_supervised as ssl
from unsup_jax.models import vae as vae_models
from unsup_jax.models.semi_supervised import M2, Classifier
from unsup_jax.models.vae import VAE
from unsup_jax.ops import distributions


class Models(NamedTuple):
  """The networks of one config: `kind` (`configs.semi_supervised.MODELS`),
  M1's VAE, the classifier q(y | x) of the supervised and consistency
  models, M2, the labelled images' shape and the classes."""
  kind: str
  m1: VAE
  classifier: Classifier
  m2: M2
  image_shape: tuple[int, ...]
  num_classes: int


def models(config: ml_collections.ConfigDict, spec) -> Models:
  """The networks of `config.semi` (and M1's of `config.m1`) for the
  labelled stream of `spec`; a UserError without class labels."""
  s, kind = config.semi, config.semi.model
  image_shape = tuple(spec.shape("image", "labelled"))
  spec.shape("label", "labelled")
  k = spec.num_classes
  if k < 2:
    raise UserError(f"semi-supervised learning needs class labels; "
                    f"dataset {spec.dataset!r} has none")
  dim = config.m1.latent_dim if kind == "m1m2" else int(np.prod(image_shape))
  return Models(
      kind=kind, m1=vae_models.from_config(config.m1, image_shape),
      classifier=Classifier(tuple(s.hidden), k, s.activation),
      m2=M2(tuple(s.hidden), s.latent_dim, k, dim,
            "gaussian" if kind == "m1m2" else "bernoulli"),
      image_shape=image_shape, num_classes=k)


def flat(x: jax.Array) -> jax.Array:
  return x.reshape(x.shape[0], -1).astype(jnp.float32)


def labelled_bounds(model: M2, params, x, labels, keys) -> jax.Array:
  """`[B]` the bound on log p(x, y) of flat `x` with its `labels`."""
  y = jax.nn.one_hot(labels, model.num_classes)
  mean, logvar = model.apply({"params": params}, x, y, method=M2.encode)
  z = jax.vmap(distributions.reparameterize)(keys, mean, logvar)
  decoded = model.apply({"params": params}, z, y, method=M2.decode)
  log_lik = model.apply({"params": params}, x, decoded,
                        method=M2.log_likelihood)
  return ssl.labelled_bound(log_lik, distributions.kl_standard_normal(
      mean, logvar), model.num_classes)


def class_bounds(model: M2, params, x, keys) -> jax.Array:
  """`[B, K]` the bound on log p(x, y) of flat `x` with every class y,
  all at once (x's projection broadcast over the K one-hot rows)."""
  y = jnp.eye(model.num_classes)[None]                      # [1, K, K]
  mean, logvar = model.apply({"params": params}, x[:, None], y,
                             method=M2.encode)              # [B, K, Dz]
  z = jax.vmap(distributions.reparameterize)(keys, mean, logvar)
  decoded = model.apply({"params": params}, z, y, method=M2.decode)
  log_lik = model.apply({"params": params}, x[:, None], decoded,
                        method=M2.log_likelihood)           # [B, K]
  return ssl.labelled_bound(log_lik, distributions.kl_standard_normal(
      mean, logvar), model.num_classes)


def m2_objective(model: M2, params, x_l, labels, x_u, keys_l, keys_u, *,
                 alpha: float):
  """`m2_loss` of a labelled batch (`x_l`, `labels`) and an unlabelled one."""
  classify = functools.partial(model.apply, {"params": params},
                               method=M2.classify)
  return ssl.m2_loss(labelled_bounds(model, params, x_l, labels, keys_l),
                     classify(x_l), labels,
                     class_bounds(model, params, x_u, keys_u), classify(x_u),
                     alpha=alpha)


def m1_codes(m: Models, params, images, batch_size: int) -> np.ndarray:
  """M1's posterior means of `images`."""
  fn = jax.jit(lambda x: m.m1.apply({"params": params["m1"]}, x,
                                    method=VAE.encode)[0])
  return map_batches(fn, images, batch_size=batch_size)


def inputs_of(m: Models, params, x: jax.Array) -> jax.Array:
  """M2's (or the classifier's) input when evaluating: flat pixels, or
  M1's posterior means (m1m2)."""
  if m.kind == "m1m2":
    return m.m1.apply({"params": params["m1"]}, x, method=VAE.encode)[0]
  return flat(x)


def logits_fn(m: Models, params):
  """`images -> [B, K]` class scores of the trained model."""
  if "classifier" in params:     # supervised and the consistency methods
    return lambda x: m.classifier.apply({"params": params["classifier"]},
                                        flat(x))
  return lambda x: m.m2.apply({"params": params["m2"]},
                              inputs_of(m, params, x), method=M2.classify)
