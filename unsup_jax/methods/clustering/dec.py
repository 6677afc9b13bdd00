"""Deep embedded clustering: DEC (Xie et al. 2016) and IDEC (Guo et al. 2017).

One resumable run from raw pixels, in three stages on one step counter:

1. phase "train": the autoencoder (`methods/compression/autoencoder.py`,
   any of its variants) pre-trained with `config.optim`;
2. hook "kmeans": the whole training set encoded and clustered by k-means
   (`ops/clustering.kmeans`, `cluster.kmeans_restarts` k-means++ starts);
   its centres become the parameter `centres`. It runs once, also across a
   resume;
3. phase "cluster": every `update_interval` steps a whole-data hook encodes
   the training set, computes the Student-t soft assignments q, the
   sharpened targets p (`losses/clustering.py`) and the hard assignments;
   each step then lowers KL(p || q) of its batch (targets looked up by the
   examples' `index`) on the encoder and the centres; IDEC adds the
   reconstruction loss (per pixel, as its reference code weighs it against
   gamma), so the decoder keeps training. Once the fraction of
   changed assignments between refreshes falls below `tol`, updates stop
   (the remaining steps leave the state as it is), DEC's stop rule.

With `cluster.augment` (e.g. "translation") both phases train on randomly
shifted images, DEC-DA of Guo et al. (2018, "Deep Embedded Clustering with
Data Augmentation", ACML); the targets and the evaluation see the images
as they are.

The refresh hook also records, per refresh, the training-set ACC, NMI and
ARI of the current assignments and the changed fraction (`extra["curve"]`,
saved with the checkpoints). Evaluation scores the assignments on the
training set (transductive, as the papers report) and on the test split
(each image assigned to its most probable cluster by the trained model),
and exports them to `assignments.npz` (the cluster phase, its stop rule
and the evaluation are shared with VaDE: `deep_clustering.py`). Config:
`configs/dec.py`.
"""

import functools
import math

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.losses import clustering as dec_losses, reconstruction
from unsup_jax.methods.clustering import deep_clustering as deep
from unsup_jax.methods.clustering.deep_clustering import Embedding
from unsup_jax.methods.compression import autoencoder as ae_method
from unsup_jax.models import autoencoder as ae_models
from unsup_jax.ops import clustering
from unsup_jax.training import optim, step as step_lib
from unsup_jax.training.contract import (Hook, Method, Phase,
                                         model_fingerprint)


def encode(params, x, *, model):
  return model.apply({"params": params["autoencoder"]}, x,
                     method=type(model).encode)


def embedding(model, c) -> Embedding:
  """DEC's: the autoencoder's codes, Student-t assignments to the centres
  (`params["centres"]`), started by k-means."""
  enc = functools.partial(encode, model=model)
  assign = lambda params, x: dec_losses.student_t_assignments(
      enc(params, x), params["centres"], alpha=c.alpha)
  return Embedding(enc, assign, lambda params: params["centres"], "kmeans")


def init(key, batch, *, model, c, num_train: int, pretrain_tx, cluster_tx):
  param_key, run_key = jax.random.split(key)
  x = batch["image"][:1]
  ae = model.init(param_key, x)["params"]
  code = model.apply({"params": ae}, x, method=type(model).encode)
  params = {"autoencoder": ae,
            "centres": jnp.zeros((c.num_clusters, code.shape[-1]))}
  return deep.new_state(run_key, params, dim=code.shape[-1],
                        num_train=num_train, c=c, pretrain_tx=pretrain_tx,
                        cluster_tx=cluster_tx)


def pretrain_step(state, batch, *, model, tx, a, policy: str,
                  axis_name=None):
  """One step of the autoencoder's own objective on its parameters."""
  batch = deep.augmented(state, batch, axis_name, policy=policy)
  return step_lib.on_part(state, "autoencoder", lambda sub: (
      ae_method.train_step(sub, batch, model=model, tx=tx, a=a,
                           axis_name=axis_name)))


def kmeans_hook(state, data, key, *, emb: Embedding, c, batch_size: int):
  """k-means on the encoded training set: the centres' start."""
  train = data.split("train")
  codes = deep.encode_all(emb, state.params, train["image"], batch_size)
  fit = jax.device_get(jax.jit(functools.partial(
      clustering.kmeans, num_clusters=c.num_clusters,
      restarts=c.kmeans_restarts))(key, jnp.asarray(codes)))
  return deep.started(state.replace(params=dict(state.params,
                                                centres=fit.centres)),
                      train, codes, fit.labels)


def refresh_hook(state, data, key, *, emb: Embedding, c, first_step: int,
                 batch_size: int):
  """New targets p and assignments from the whole training set; the stop
  rule; one row of the curve."""
  del key  # Deterministic.
  train = data.split("train")
  q = deep.soft_assignments(emb, state.params, train["image"], batch_size)
  p = np.asarray(jax.jit(dec_losses.target_distribution)(q))
  return deep.record(state, train, q, c=c, first_step=first_step,
                     targets=p)


def cluster_loss(params, *, state, batch, model, a, c, axis_name=None):
  """DEC's KL(p || q) of the batch, p looked up by `index`; IDEC adds the
  reconstruction loss."""
  del axis_name  # Per-example losses only.
  x = batch["image"]
  p = state.extra["targets"][batch["index"]]
  z = encode(params, x, model=model)
  if c.kind == "dec":
    return dec_losses.dec_loss(z, params["centres"], p, alpha=c.alpha)
  out = model.apply({"params": params["autoencoder"]}, z,
                    method=type(model).decode)
  rec = (reconstruction.bce_with_logits(x, out)
         if a.likelihood == "bce" else
         reconstruction.squared_error(x, out))
  # Per pixel, as the reference implementation weighs it against gamma
  # (Keras' mean over pixels): summed over 784 pixels the clustering loss
  # would be ~1000 times weaker and IDEC would stay at its k-means start.
  rec = rec / math.prod(x.shape[1:])
  return dec_losses.idec_loss(rec, z, params["centres"], p, gamma=c.gamma,
                              alpha=c.alpha)


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """DEC or IDEC (`config.cluster.kind`) for the images of `spec`."""
  a, c = config.autoencoder, config.cluster
  model = ae_models.from_config(a, spec.image_shape)
  emb = embedding(model, c)
  txs = dict(pretrain_tx=optim.build(config),
             cluster_tx=deep.cluster_optimizer(c))
  every = dict(c=c, batch_size=config.eval.batch_size)
  return Method(
      init=step_lib.jit_once(functools.partial(
          init, model=model, c=c, num_train=spec.meta["num_train_examples"],
          **txs)),
      phases=(Phase("train", config.train.num_steps, functools.partial(
          pretrain_step, model=model, tx=txs["pretrain_tx"], a=a,
          policy=c.augment)),
              Hook(emb.start, functools.partial(kmeans_hook, emb=emb,
                                                **every)),
              Phase("cluster", c.num_steps, functools.partial(
                  deep.cluster_step, tx=txs["cluster_tx"], policy=c.augment,
                  loss_fn=functools.partial(cluster_loss, model=model, a=a,
                                            c=c)),
                    every=c.update_interval, hook=functools.partial(
                        refresh_hook, emb=emb,
                        first_step=config.train.num_steps, **every))),
      evaluate=functools.partial(deep.evaluate, emb=emb, config=config,
                                 num_classes=spec.num_classes),
      figures=functools.partial(deep.figures, title=c.kind.upper()),
      report_notes=functools.partial(deep.report_notes, start=emb.start),
      fingerprint=dict(method=config.method, cluster={
          f: c[f] for f in ("kind", "num_clusters")}, **model_fingerprint(
              a, ae_method.FINGERPRINT_FIELDS, spec)))
