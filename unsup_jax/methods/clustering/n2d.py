"""N2D: (not too) deep clustering (McConville et al. 2020, ICPR).

An autoencoder's codes are not clustered directly: UMAP first finds the
local manifold they lie on, in as many dimensions as clusters, and a
Gaussian mixture clusters that embedding (`manifold.py`). One resumable
run from raw pixels:

1. phase "train": the autoencoder (`methods/compression/autoencoder.py`,
   any of its variants) pre-trained with `config.optim`, on randomly
   augmented images with `n2d.augment` (as DEC's pre-training, `dec.py`);
2. hook "n2d": the training set encoded, embedded by UMAP and clustered by
   the mixture; the assignments, the embedding and the mixture's means are
   kept in the state (so a resumed run does not refit).

Evaluation scores the training set's assignments (transductive, as the
paper reports) and the test split's, each test image given the cluster
most common among its `n2d.test_neighbors` nearest training codes; the
exports and figures are DEC's (`deep_clustering.py`). Config:
`configs/n2d.py`.
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.data.dataset import labels_of
from unsup_jax.methods.clustering import deep_clustering as deep, manifold
from unsup_jax.methods.clustering.dec import pretrain_step
from unsup_jax.methods.compression import autoencoder as ae_method
from unsup_jax.models import autoencoder as ae_models
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import (Hook, Method, Phase,
                                         model_fingerprint)


def encode(params, x, *, model):
  return model.apply({"params": params["autoencoder"]}, x,
                     method=type(model).encode)


def init(key, batch, *, model, n, num_train: int, tx):
  param_key, run_key = jax.random.split(key)
  ae = model.init(param_key, batch["image"][:1])["params"]
  extra = {"assignments": jnp.zeros((num_train,), jnp.int32),
           "embedding": jnp.zeros((num_train, n.umap_dims)),
           "means": jnp.zeros((n.num_clusters, n.umap_dims))}
  return state_lib.TrainState(
      step=jnp.zeros((), jnp.int32), params={"autoencoder": ae},
      opt_state={"autoencoder": tx.init(ae)}, key=run_key, extra=extra)


def seed_of(key) -> int:
  """A seed for the libraries' fits, drawn from `key`."""
  return int(jax.random.randint(key, (), 0, 2**31 - 1))


def manifold_hook(state, data, key, *, model, n, batch_size: int):
  """UMAP of the encoded training set, then the mixture."""
  codes = deep.encode_all(deep_embedding(model), state.params,
                          data.split("train")["image"], batch_size)
  fit = manifold.umap_gmm(codes, num_clusters=n.num_clusters,
                          dims=n.umap_dims, neighbors=n.umap_neighbors,
                          min_dist=n.umap_min_dist, seed=seed_of(key))
  return state.replace(extra=dict(
      state.extra, assignments=fit.clusters,
      embedding=np.asarray(fit.embedding, np.float32),
      means=np.asarray(fit.means, np.float32)))


def deep_embedding(model) -> deep.Embedding:
  """The codes as `deep.Embedding.encode` (N2D assigns outside JAX)."""
  return deep.Embedding(functools.partial(encode, model=model), None, None,
                        "n2d")


def evaluate(state, data, key, *, full: bool, model, config,
             num_classes: int = 0):
  """Train (transductive) and test ACC/NMI/ARI, cluster sizes; with `full`
  the exports and the figures' arrays."""
  del key  # Deterministic.
  n, batch_size = config.n2d, config.eval.batch_size
  emb = deep_embedding(model)
  train, test = data.split("train"), data.split("test")
  codes = deep.encode_all(emb, state.params, train["image"], batch_size)
  clusters = np.asarray(state.extra["assignments"])
  test_clusters = manifold.assign_by_neighbours(
      codes, clusters, deep.encode_all(emb, state.params, test["image"],
                                       batch_size),
      k=n.test_neighbors, num_clusters=n.num_clusters)
  assigned = {"train": (clusters, labels_of(train), None),
              "test": (test_clusters, labels_of(test), None)}
  metrics = deep.assigned_scores(assigned, n.num_clusters)
  if not full:
    return metrics, {}
  embedding = np.asarray(state.extra["embedding"])
  labels = labels_of(train)
  outputs = {
      "exports": {"assignments.npz": deep.export_arrays(assigned)},
      "nearest": deep.nearest_images(embedding,
                                     np.asarray(state.extra["means"]),
                                     train["image"], n.shown_per_cluster),
      "embedding": {"titles": ("autoencoder codes", "UMAP embedding"),
                    "start_codes": codes, "start_clusters": clusters,
                    "end_codes": embedding, "end_clusters": clusters,
                    "labels": labels}}
  outputs.update(deep.confusion_output(clusters, labels, num_classes))
  return metrics, outputs


def report_notes(results: dict, outputs: dict) -> list:
  del results, outputs
  return ["Scores: `test_train_*` are the training split's assignments "
          "(transductive, as the paper reports), `test_acc`, `test_nmi`, "
          "`test_ari` the test images' (each takes the cluster most common "
          "among its nearest training codes). ACC matches clusters to "
          "classes one to one (Hungarian algorithm). The embedding figure "
          "shows both spaces coloured by the final clusters. Every "
          "assignment is in `assignments.npz`."]


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """N2D for the images of `spec`."""
  a, n = config.autoencoder, config.n2d
  model = ae_models.from_config(a, spec.image_shape)
  tx = optim.build(config)
  return Method(
      init=step_lib.jit_once(functools.partial(
          init, model=model, n=n, num_train=spec.meta["num_train_examples"],
          tx=tx)),
      phases=(Phase("train", config.train.num_steps, functools.partial(
          pretrain_step, model=model, tx=tx, a=a, policy=n.augment)),
              Hook("n2d", functools.partial(
                  manifold_hook, model=model, n=n,
                  batch_size=config.eval.batch_size))),
      evaluate=functools.partial(evaluate, model=model, config=config,
                                 num_classes=spec.num_classes),
      figures=functools.partial(deep.figures, title="N2D"),
      report_notes=report_notes,
      fingerprint=dict(method=config.method, n2d={
          f: n[f] for f in ("num_clusters", "umap_dims")}, **model_fingerprint(
              a, ae_method.FINGERPRINT_FIELDS, spec)))
