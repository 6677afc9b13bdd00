"""What DEC, IDEC (`dec.py`) and VaDE (`vade.py`) share: the state of
their cluster phase, its step, the stop rule and the evaluation.

Each model is described by an `Embedding`, its pure functions of the
parameters (codes, soft assignments, centres) and the name of its start
hook. The cluster phase's state (`extra`) holds the targets, the current
assignments, the start's codes, assignments and scores, whether the stop
rule fired, and the curve of the refreshes (one row per refresh: step,
training-set ACC, NMI, ARI, fraction of changed assignments). The
evaluation scores the assignments on the training split (transductive, as
the papers report) and the test split (each image assigned to its most
probable cluster), and exports them to `assignments.npz`.
"""


import functools
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from unsup_jax.data.dataset import labels_of
from unsup_jax.eval import clustering as cluster_eval
from unsup_jax.eval.batched import map_batches
from unsup_jax.ops import augment
from unsup_jax.training import state as state_lib, step as step_lib
from unsup_jax.viz import clustering as viz_clustering

# Key stream of the training batches' augmentation.
AUGMENT_STREAM = 0xA06
# Columns of `extra["curve"]`, one row per target refresh.
CURVE = ("step", "acc", "nmi", "ari", "changed")


class Embedding(NamedTuple):
  """What a deep clustering model (DEC, IDEC, VaDE) embeds and assigns
  with, as pure functions of its parameters: `encode(params, x) -> [B,
  D]` codes, `assign(params, x) -> [B, K]` soft assignments, `centres(params)
  -> [K, D]`; and the name of its start hook."""
  encode: Callable
  assign: Callable
  centres: Callable
  start: str


def cluster_optimizer(c: ml_collections.ConfigDict):
  """The optimiser of phase "cluster" (`config.cluster`): its learning
  rate multiplied by `lr_decay` every `lr_decay_steps` steps (VaDE's
  schedule), constant without them."""
  rate = c.learning_rate
  if c.lr_decay_steps and c.lr_decay < 1.0:
    rate = optax.exponential_decay(c.learning_rate, c.lr_decay_steps,
                                   c.lr_decay, staircase=True)
  if c.optimizer == "adam":
    return optax.adam(rate)
  return optax.sgd(rate, momentum=c.momentum or None)


def num_refreshes(c: ml_collections.ConfigDict) -> int:
  return max(-(-c.num_steps // c.update_interval), 1)


def train_scores(clusters, labels) -> list[float]:
  """ACC, NMI, ARI of training assignments (NaN without labels)."""
  if labels is None:
    return [float("nan")] * 3
  return [cluster_eval.accuracy(clusters, labels),
          cluster_eval.nmi(clusters, labels),
          cluster_eval.ari(clusters, labels)]


def new_state(key, params, *, dim: int, num_train: int, c, pretrain_tx,
              cluster_tx) -> state_lib.TrainState:
  """The state at step 0: targets, assignments, the start's record and the
  curve of refreshes in `extra`; one optimiser state per phase."""
  n, k = num_train, c.num_clusters
  extra = {"targets": jnp.full((n, k), 1.0 / k),
           "assignments": jnp.zeros((n,), jnp.int32),
           "stopped": jnp.zeros((), bool),
           "start_codes": jnp.zeros((n, dim)),
           "start_assignments": jnp.zeros((n,), jnp.int32),
           "start_scores": jnp.full((3,), jnp.nan),
           "curve": jnp.full((num_refreshes(c), len(CURVE)), jnp.nan)}
  return state_lib.TrainState(
      step=jnp.zeros((), jnp.int32), params=params,
      opt_state={"autoencoder": pretrain_tx.init(params["autoencoder"]),
                 "cluster": cluster_tx.init(params)},
      key=key, extra=extra)


def augmented(state, batch, axis_name, *, policy: str):
  """The batch through the augmentation `policy` (each image with its own
  draw; `image` and `corrupted` moved alike)."""
  if not policy:
    return batch
  key = jax.random.fold_in(step_lib.step_key(state), AUGMENT_STREAM)
  offset = step_lib.example_offset(batch["image"].shape[0], axis_name)
  move = lambda images: augment.diff_augment(key, images, policy, offset)
  return dict(batch, **{k: move(batch[k]) for k in ("image", "corrupted")
                        if k in batch})


def encode_all(emb: Embedding, params, images, batch_size: int):
  return map_batches(jax.jit(functools.partial(emb.encode, params)),
                     images, batch_size=batch_size)


def soft_assignments(emb: Embedding, params, images, batch_size: int):
  """`[N, K]` q of `images` under `params`."""
  return map_batches(jax.jit(functools.partial(emb.assign, params)),
                     images, batch_size=batch_size)


def started(state, train, codes, labels):
  """The state with the start's assignments, codes and scores kept."""
  labels = np.asarray(labels, np.int32)
  return state.replace(extra=dict(
      state.extra, assignments=labels, start_assignments=labels,
      start_codes=codes, start_scores=np.asarray(
          train_scores(labels, labels_of(train)), np.float32)))


def record(state, train: dict, q: np.ndarray, *, c, first_step: int,
           **extra):
  """The state with the assignments of `q`, the changed fraction's stop
  rule applied and one row of the curve written (a refresh hook's end);
  `first_step`: the first step of phase "cluster"."""
  new = np.argmax(q, axis=1).astype(np.int32)
  changed = float(np.mean(new != np.asarray(state.extra["assignments"])))
  row = (int(state.step) - first_step) // c.update_interval
  stopped = bool(state.extra["stopped"]) or (row > 0 and changed < c.tol)
  curve = np.array(state.extra["curve"])
  curve[row] = [int(state.step), *train_scores(new, labels_of(train)),
                changed]
  return state.replace(extra=dict(state.extra, **extra, assignments=new,
                                  curve=curve, stopped=np.asarray(stopped)))


def cluster_step(state, batch, *, loss_fn, tx, policy: str, axis_name=None):
  """One step of `loss_fn(params, *, state, batch, axis_name) -> (loss,
  metrics)` on every parameter with the cluster optimiser `tx`; nothing
  moves once the stop rule has fired."""
  batch = augmented(state, batch, axis_name, policy=policy)
  (_, metrics), grads = jax.value_and_grad(
      functools.partial(loss_fn, state=state, batch=batch,
                        axis_name=axis_name), has_aux=True)(state.params)
  sub = state.replace(opt_state=state.opt_state["cluster"])
  sub, metrics = step_lib.apply_gradients(sub, grads, metrics, tx,
                                          axis_name=axis_name)
  updated = sub.replace(opt_state=dict(state.opt_state,
                                       cluster=sub.opt_state))
  stopped = state.extra["stopped"]
  new_state = jax.lax.cond(stopped,
                           lambda: state.replace(step=state.step + 1),
                           lambda: updated)
  return new_state, dict(metrics, stopped=stopped.astype(jnp.float32))


def split_scores(emb: Embedding, state, data, *, k: int,
                 batch_size: int) -> tuple[dict, dict]:
  """Train (`train_` prefix) and test ACC/NMI/ARI, cluster sizes and
  empty clusters; and `{split: (clusters, labels, q)}`."""
  metrics, assigned = {}, {}
  prefix = {"train": "train_", "test": ""}
  for split in ("train", "test"):
    features = data.split(split)
    q = soft_assignments(emb, state.params, features["image"], batch_size)
    clusters = np.argmax(q, axis=1)
    labels = labels_of(features)
    assigned[split] = (clusters, labels, q)
    if labels is not None:
      s = cluster_eval.scores(clusters, labels, k)
      metrics.update({prefix[split] + n: v for n, v in s.items()})
    else:
      metrics[prefix[split] + "empty_clusters"] = int(np.sum(
          cluster_eval.cluster_sizes(clusters, k) == 0))
  return metrics, assigned


def assigned_scores(assigned: dict, k: int) -> dict:
  """ACC/NMI/ARI and cluster sizes of `{split: (clusters, labels, q)}`:
  the training split's with prefix `train_`, the test split's bare."""
  metrics = {}
  for split, prefix in (("train", "train_"), ("test", "")):
    clusters, labels, _ = assigned[split]
    if labels is not None:
      metrics.update({prefix + n: v for n, v in cluster_eval.scores(
          clusters, labels, k).items()})
  return metrics


def confusion_output(clusters, labels, num_classes: int) -> dict:
  """`{"confusion": counts}` of the training assignments; `{}` without
  labels."""
  if labels is None:
    return {}
  classes = max(num_classes, int(np.max(labels)) + 1)
  return {"confusion": cluster_eval.confusion(clusters, labels, classes)}


def run_metrics(state, c, start: str) -> dict:
  """The start's training-set scores, the refreshes done and the step at
  which the stop rule fired (-1: never)."""
  metrics = {}
  scores = np.asarray(state.extra["start_scores"])
  if np.all(np.isfinite(scores)):
    metrics.update({f"{start}_train_{n}": float(v) for n, v in zip(
        ("acc", "nmi", "ari"), scores)})
  done = finished_curve(state)
  metrics["refreshes"] = len(done)
  below = np.flatnonzero(done[1:, 4] < c.tol)
  metrics["stopped_at_step"] = (int(done[1 + below[0], 0])
                                if bool(state.extra["stopped"]) else -1)
  return metrics


def finished_curve(state) -> np.ndarray:
  curve = np.asarray(state.extra["curve"])
  return curve[np.isfinite(curve[:, 0])]


def evaluate(state, data, key, *, full: bool, emb: Embedding, config,
             num_classes: int = 0):
  """Train (transductive) and test ACC/NMI/ARI, cluster sizes and empty
  clusters; with `full` the start's scores, the curve, the figures'
  arrays and the exported assignments."""
  del key  # Deterministic.
  c, batch_size = config.cluster, config.eval.batch_size
  metrics, assigned = split_scores(emb, state, data, k=c.num_clusters,
                                   batch_size=batch_size)
  if not full:
    return metrics, {}
  metrics.update(run_metrics(state, c, emb.start))
  train = data.split("train")
  clusters, labels, _ = assigned["train"]
  codes = encode_all(emb, state.params, train["image"], batch_size)
  centres = np.asarray(emb.centres(state.params))
  outputs = {
      "exports": {"assignments.npz": export_arrays(assigned)},
      "curve": finished_curve(state),
      "nearest": nearest_images(codes, centres, train["image"],
                                c.shown_per_cluster),
      "embedding": {
          "start_codes": np.asarray(state.extra["start_codes"]),
          "start_clusters": np.asarray(state.extra["start_assignments"]),
          "end_codes": codes, "end_clusters": clusters, "labels": labels},
  }
  outputs.update(confusion_output(clusters, labels, num_classes))
  return metrics, outputs


def figures(outputs: dict, outdir: str, *, title: str) -> dict:
  return viz_clustering.make(outdir, outputs, title=title)


def report_notes(results: dict, outputs: dict, *, start: str) -> list:
  del results, outputs
  return [f"Scores: `test_train_*` are the training split's assignments "
          f"(transductive, as the papers report), `test_acc`, `test_nmi`, "
          f"`test_ari` the test images' (each assigned to its most "
          f"probable cluster by the trained model); `test_{start}_"
          f"train_*` score the {start} start on the pre-trained "
          f"codes. ACC matches clusters to classes one to one (Hungarian "
          f"algorithm). Every assignment is in `assignments.npz`."]


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


