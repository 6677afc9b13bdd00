"""Deep embedded clustering: DEC (Xie et al. 2016) and IDEC (Guo et al. 2017).

One resumable run from raw pixels, in three stages on one step counter:

1. phase "train": the autoencoder (`methods/autoencoder.py`, any of its
   variants) pre-trained with `config.optim`;
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
and exports them to `assignments.npz`. Config: `configs/dec.py`.
"""

import functools
import math

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from unsup_jax.eval import clustering as cluster_eval
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import clustering as dec_losses, reconstruction
from unsup_jax.methods import autoencoder as ae_method, common
from unsup_jax.ops import augment, clustering
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import Hook, Method, Phase
from unsup_jax.viz import clustering as viz_clustering

# Key stream of the training batches' augmentation.
AUGMENT_STREAM = 0xA06
# Columns of `extra["curve"]`, one row per target refresh.
CURVE = ("step", "acc", "nmi", "ari", "changed")


def cluster_optimizer(c: ml_collections.ConfigDict):
  """The optimiser of phase "cluster" (`config.cluster`)."""
  if c.optimizer == "adam":
    return optax.adam(c.learning_rate)
  return optax.sgd(c.learning_rate, momentum=c.momentum or None)


def num_refreshes(c: ml_collections.ConfigDict) -> int:
  return max(-(-c.num_steps // c.update_interval), 1)


def train_scores(clusters, labels) -> list[float]:
  """ACC, NMI, ARI of training assignments (NaN without labels)."""
  if labels is None:
    return [float("nan")] * 3
  return [cluster_eval.accuracy(clusters, labels),
          cluster_eval.nmi(clusters, labels),
          cluster_eval.ari(clusters, labels)]


class DEC:
  """The pieces of one DEC/IDEC method, closed over its config."""

  START = "kmeans"   # the name of the start hook

  def __init__(self, config: ml_collections.ConfigDict, spec):
    self.config, self.a, self.c = config, config.autoencoder, config.cluster
    self.spec = spec
    self.model = ae_method.make_model(self.a, spec.image_shape)
    self.pretrain_tx = optim.build(config)
    self.cluster_tx = cluster_optimizer(self.c)
    self.num_train = spec.meta["num_train_examples"]
    self.start = config.train.num_steps   # first step of phase "cluster"
    self.title = self.c.kind.upper()

  # --- the network -------------------------------------------------------
  def encode(self, params, x):
    return self.model.apply({"params": params["autoencoder"]}, x,
                            method=type(self.model).encode)

  def decode(self, params, z):
    return self.model.apply({"params": params["autoencoder"]}, z,
                            method=type(self.model).decode)

  def encode_all(self, params, images: np.ndarray) -> np.ndarray:
    return map_batches(jax.jit(functools.partial(self.encode, params)),
                       images, batch_size=self.config.eval.batch_size)

  def centres(self, params):
    return params["centres"]

  def init_params(self, key, x):
    ae = self.model.init(key, x)["params"]
    code = self.model.apply({"params": ae}, x, method=type(self.model).encode)
    return {"autoencoder": ae,
            "centres": jnp.zeros((self.c.num_clusters, code.shape[-1]))}

  def init(self, key, batch):
    param_key, run_key = jax.random.split(key)
    params = self.init_params(param_key, batch["image"][:1])
    dim = self.encode(params, batch["image"][:1]).shape[-1]
    n, k = self.num_train, self.c.num_clusters
    extra = {"targets": jnp.full((n, k), 1.0 / k),
             "assignments": jnp.zeros((n,), jnp.int32),
             "stopped": jnp.zeros((), bool),
             "start_codes": jnp.zeros((n, dim)),
             "start_assignments": jnp.zeros((n,), jnp.int32),
             "start_scores": jnp.full((3,), jnp.nan),
             "curve": jnp.full((num_refreshes(self.c), len(CURVE)), jnp.nan)}
    return state_lib.TrainState(
        step=jnp.zeros((), jnp.int32), params=params,
        opt_state={"autoencoder": self.pretrain_tx.init(params["autoencoder"]),
                   "cluster": self.cluster_tx.init(params)},
        key=run_key, extra=extra)

  # --- the three stages --------------------------------------------------
  def augmented(self, state, batch, axis_name):
    """The batch through `cluster.augment` (each image with its own draw;
    `image` and `corrupted` moved alike)."""
    if not self.c.augment:
      return batch
    key = jax.random.fold_in(step_lib.step_key(state), AUGMENT_STREAM)
    x = batch["image"]
    offset = step_lib.example_offset(x.shape[0], axis_name)
    move = lambda images: augment.diff_augment(key, images, self.c.augment,
                                               offset)
    return dict(batch, **{k: move(batch[k]) for k in ("image", "corrupted")
                          if k in batch})

  def pretrain_step(self, state, batch, *, axis_name=None):
    """One step of the autoencoder's own objective on its parameters."""
    batch = self.augmented(state, batch, axis_name)
    return step_lib.on_part(state, "autoencoder", lambda sub: (
        ae_method.train_step(sub, batch, model=self.model,
                             tx=self.pretrain_tx, a=self.a,
                             axis_name=axis_name)))

  def start_hook(self, state, data, key):
    """k-means on the encoded training set: the centres' start."""
    train = data.split("train")
    codes = self.encode_all(state.params, train["image"])
    fit = jax.device_get(jax.jit(functools.partial(
        clustering.kmeans, num_clusters=self.c.num_clusters,
        restarts=self.c.kmeans_restarts))(key, jnp.asarray(codes)))
    return self.started(state.replace(params=dict(
        state.params, centres=fit.centres)), train, codes, fit.labels)

  def started(self, state, train, codes, labels):
    """The state with the start's assignments, codes and scores kept."""
    labels = np.asarray(labels, np.int32)
    return state.replace(extra=dict(
        state.extra, assignments=labels, start_assignments=labels,
        start_codes=codes, start_scores=np.asarray(
            train_scores(labels, common.labels_of(train)), np.float32)))

  def soft_assignments(self, params, images: np.ndarray) -> np.ndarray:
    """`[N, K]` q of `images` under `params`."""
    fn = jax.jit(lambda x: dec_losses.student_t_assignments(
        self.encode(params, x), params["centres"], alpha=self.c.alpha))
    return map_batches(fn, images, batch_size=self.config.eval.batch_size)

  def record(self, state, train: dict, q: np.ndarray, **extra):
    """The state with the assignments of `q`, the changed fraction's stop
    rule applied and one row of the curve written (a refresh hook's end)."""
    new = np.argmax(q, axis=1).astype(np.int32)
    changed = float(np.mean(new != np.asarray(state.extra["assignments"])))
    row = (int(state.step) - self.start) // self.c.update_interval
    stopped = bool(state.extra["stopped"]) or (row > 0 and
                                               changed < self.c.tol)
    curve = np.array(state.extra["curve"])
    curve[row] = [int(state.step), *train_scores(new, common.labels_of(train)),
                  changed]
    return state.replace(extra=dict(state.extra, **extra, assignments=new,
                                    curve=curve, stopped=np.asarray(stopped)))

  def refresh_hook(self, state, data, key):
    """New targets p and assignments from the whole training set; the stop
    rule; one row of the curve."""
    del key  # Deterministic.
    train = data.split("train")
    q = self.soft_assignments(state.params, train["image"])
    p = np.asarray(jax.jit(dec_losses.target_distribution)(q))
    return self.record(state, train, q, targets=p)

  def cluster_step(self, state, batch, *, axis_name=None):
    """KL(p || q) of the batch (IDEC: plus the reconstruction loss) on the
    encoder and centres (IDEC: and the decoder); nothing moves once the
    stop rule has fired."""
    batch = self.augmented(state, batch, axis_name)
    loss_fn = functools.partial(self.cluster_loss, state=state, batch=batch,
                                axis_name=axis_name)
    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params)
    sub = state.replace(opt_state=state.opt_state["cluster"])
    sub, metrics = step_lib.apply_gradients(sub, grads, metrics,
                                            self.cluster_tx,
                                            axis_name=axis_name)
    updated = sub.replace(opt_state=dict(state.opt_state,
                                         cluster=sub.opt_state))
    stopped = state.extra["stopped"]
    new_state = jax.lax.cond(stopped,
                             lambda: state.replace(step=state.step + 1),
                             lambda: updated)
    return new_state, dict(metrics, stopped=stopped.astype(jnp.float32))

  def cluster_loss(self, params, *, state, batch, axis_name=None):
    """DEC's KL(p || q) of the batch, p looked up by `index`; IDEC adds the
    reconstruction loss."""
    del axis_name  # Per-example losses only.
    x = batch["image"]
    p = state.extra["targets"][batch["index"]]
    z = self.encode(params, x)
    if self.c.kind == "dec":
      return dec_losses.dec_loss(z, params["centres"], p, alpha=self.c.alpha)
    out = self.decode(params, z)
    rec = (reconstruction.bce_with_logits(x, out)
           if self.a.likelihood == "bce" else
           reconstruction.squared_error(x, out))
    # Per pixel, as the reference implementation weighs it against gamma
    # (Keras' mean over pixels): summed over 784 pixels the clustering loss
    # would be ~1000 times weaker and IDEC would stay at its k-means start.
    rec = rec / math.prod(x.shape[1:])
    return dec_losses.idec_loss(rec, z, params["centres"], p,
                                gamma=self.c.gamma, alpha=self.c.alpha)

  # --- evaluation --------------------------------------------------------
  def evaluate(self, state, data, key, *, full: bool):
    """Train (transductive) and test ACC/NMI/ARI, cluster sizes and empty
    clusters; with `full` the k-means start's scores, the curve, the
    figures' arrays and the exported assignments."""
    del key  # Deterministic.
    k = self.c.num_clusters
    metrics, assigned = {}, {}
    prefix = {"train": "train_", "test": ""}
    for split in ("train", "test"):
      features = data.split(split)
      q = self.soft_assignments(state.params, features["image"])
      clusters = np.argmax(q, axis=1)
      labels = common.labels_of(features)
      assigned[split] = (clusters, labels, q)
      if labels is not None:
        s = cluster_eval.scores(clusters, labels, k)
        metrics.update({prefix[split] + n: v for n, v in s.items()})
      else:
        metrics[prefix[split] + "empty_clusters"] = int(np.sum(
            cluster_eval.cluster_sizes(clusters, k) == 0))
    if not full:
      return metrics, {}
    start = np.asarray(state.extra["start_scores"])
    if np.all(np.isfinite(start)):
      metrics.update({f"{self.START}_train_{n}": float(v) for n, v in zip(
          ("acc", "nmi", "ari"), start)})
    curve = np.asarray(state.extra["curve"])
    done = curve[np.isfinite(curve[:, 0])]
    metrics["refreshes"] = len(done)
    below = np.flatnonzero(done[1:, 4] < self.c.tol)
    metrics["stopped_at_step"] = (int(done[1 + below[0], 0])
                                  if bool(state.extra["stopped"]) else -1)
    train = data.split("train")
    clusters, labels, q = assigned["train"]
    codes = self.encode_all(state.params, train["image"])
    centres = np.asarray(self.centres(state.params))
    outputs = {
        "exports": {"assignments.npz": export_arrays(assigned)},
        "curve": done,
        "nearest": nearest_images(codes, centres, train["image"],
                                  self.c.shown_per_cluster),
        "embedding": {
            "start_codes": np.asarray(state.extra["start_codes"]),
            "start_clusters": np.asarray(state.extra["start_assignments"]),
            "end_codes": codes, "end_clusters": clusters, "labels": labels},
    }
    if labels is not None:
      classes = max(int(self.spec.meta.get("num_classes", 0)),
                    int(np.max(labels)) + 1)
      outputs["confusion"] = cluster_eval.confusion(clusters, labels, classes)
    return metrics, outputs

  def figures(self, outputs: dict, outdir: str) -> dict:
    return viz_clustering.make(outdir, outputs, title=self.title)

  def report_notes(self, results: dict) -> list:
    del results
    return [f"Scores: `test_train_*` are the training split's assignments "
            f"(transductive, as the papers report), `test_acc`, `test_nmi`, "
            f"`test_ari` the test images' (each assigned to its most "
            f"probable cluster by the trained model); `test_{self.START}_"
            f"train_*` score the {self.START} start on the pre-trained "
            f"codes. ACC matches clusters to classes one to one (Hungarian "
            f"algorithm). Every assignment is in `assignments.npz`."]

  def method(self) -> Method:
    fingerprint = dict(method=self.config.method, cluster={
        f: self.c[f] for f in ("kind", "num_clusters")},
        **common.model_fingerprint(self.a, ae_method.FINGERPRINT_FIELDS,
                                   self.spec))
    return Method(
        init=step_lib.jit_once(self.init),
        phases=(Phase("train", self.config.train.num_steps,
                      self.pretrain_step),
                Hook(self.START, self.start_hook),
                Phase("cluster", self.c.num_steps, self.cluster_step,
                      every=self.c.update_interval, hook=self.refresh_hook)),
        evaluate=self.evaluate, figures=self.figures,
        fingerprint=fingerprint, report_notes=self.report_notes)


def export_arrays(assigned: dict) -> dict:
  """`split`, `index`, `cluster`, `label` (-1 without labels) of every
  scored image, train then test."""
  parts = {"split": [], "index": [], "cluster": [], "label": []}
  for split, (clusters, labels, _) in assigned.items():
    n = len(clusters)
    parts["split"].append(np.full(n, split))
    parts["index"].append(np.arange(n))
    parts["cluster"].append(np.asarray(clusters, np.int64))
    parts["label"].append(np.full(n, -1) if labels is None else
                          np.asarray(labels, np.int64))
  return {k: np.concatenate(v) for k, v in parts.items()}


def nearest_images(codes: np.ndarray, centres: np.ndarray,
                   images: np.ndarray, per_cluster: int) -> np.ndarray:
  """`[K, n, ...]` the n training images whose codes lie nearest each
  centre, nearest first."""
  d2 = np.sum(np.square(codes[:, None, :] - centres[None]), axis=-1)
  order = np.argsort(d2, axis=0)[:per_cluster]            # [n, K]
  return np.asarray(images)[order.T]


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """DEC or IDEC (`config.cluster.kind`) for the images of `spec`."""
  return DEC(config, spec).method()
