"""IIC: invariant information clustering (Ji et al. 2019, ICCV).

A network (`models/clustering.IICNet`) maps each image to soft cluster
assignments; its training maximises the mutual information between the
assignments of two views of the same image (`losses/clustering.iic_loss`):
the image (or a first augmentation, `iic.first_augment`) and a random
augmentation of it (`iic.augment`, keyed per example, `ops/augment.py`),
each image of a batch drawn `iic.repeats` times. Information is maximal
when the clusters are confident, equally used and the same for both views,
so no reconstruction, no target distribution and no start is needed.

The main heads (`iic.num_clusters` outputs) train beside over-clustering
heads (`iic.overclusters` outputs, more than the classes), which shape the
shared trunk with finer distinctions; both losses are summed (the paper
alternates them). Of the `iic.num_heads` main sub-heads the evaluation keeps
the one whose assignments carry the most information between a training
image and one fixed augmentation of it (no labels used), and scores it on
the training split (transductive) and the test split (each image its most
probable cluster). Config: `configs/iic.py`.
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.data.dataset import labels_of
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import clustering as cluster_losses
from unsup_jax.methods.clustering import deep_clustering as deep
from unsup_jax.models.clustering import IICNet
from unsup_jax.ops import augment
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import Method, Phase

# Key streams of the two views' augmentations and of the head selection.
FIRST_VIEW, SECOND_VIEW, SELECTION = 0x11C1, 0x11C2, 0x11C3


def make_model(c) -> IICNet:
  return IICNet(trunk=c.trunk, hidden=tuple(c.hidden),
                channels=tuple(c.channels), num_clusters=c.num_clusters,
                overclusters=c.overclusters, num_heads=c.num_heads)


def init(key, batch, *, model, tx):
  param_key, run_key = jax.random.split(key)
  params = model.init(param_key, batch["image"][:1])["params"]
  return state_lib.TrainState(step=jnp.zeros((), jnp.int32), params=params,
                              opt_state=tx.init(params), key=run_key,
                              extra={})


def views(key, images, *, c, offset=0):
  """The two views `[B * repeats, ...]` of `images` `[B, ...]`: each image
  repeated `c.repeats` times, each copy augmented with its own draw."""
  x = jnp.repeat(images, c.repeats, axis=0)
  first_key, second_key = (jax.random.fold_in(key, s)
                           for s in (FIRST_VIEW, SECOND_VIEW))
  first = (augment.diff_augment(first_key, x, c.first_augment, offset)
           if c.first_augment else x)
  return first, augment.diff_augment(second_key, x, c.augment, offset)


def head_losses(logits_1, logits_2, *, eps, axis_name=None):
  """`[heads]` IIC losses of each head, logits `[B, heads, K]` of the two
  views."""
  p1, p2 = jax.nn.softmax(logits_1), jax.nn.softmax(logits_2)
  loss = lambda a, b: cluster_losses.iic_loss(a, b, eps=eps,
                                              axis_name=axis_name)[0]
  return jax.vmap(loss, in_axes=1)(p1, p2)


def objective(params, first, second, *, model, c, axis_name=None):
  """The mean IIC loss of the main heads plus that of the over-clustering
  heads."""
  main_1, over_1 = model.apply({"params": params}, first)
  main_2, over_2 = model.apply({"params": params}, second)
  main = head_losses(main_1, main_2, eps=c.eps, axis_name=axis_name)
  over = head_losses(over_1, over_2, eps=c.eps, axis_name=axis_name)
  loss = jnp.mean(main) + jnp.mean(over)
  return loss, {"loss": loss, "loss_main": jnp.mean(main),
                "loss_over": jnp.mean(over),
                "mutual_information": -jnp.min(main)}


def train_step(state, batch, *, model, tx, c, axis_name=None):
  """One step of IIC's loss on two fresh views of the batch."""
  images = batch["image"]
  offset = step_lib.example_offset(images.shape[0] * c.repeats, axis_name)
  first, second = views(step_lib.step_key(state), images, c=c, offset=offset)
  (_, metrics), grads = jax.value_and_grad(objective, has_aux=True)(
      state.params, first, second, model=model, c=c, axis_name=axis_name)
  return step_lib.apply_gradients(state, grads, metrics, tx,
                                  axis_name=axis_name)


def main_probabilities(params, x, *, model):
  """`[B, heads, K]` the main heads' soft assignments."""
  return jax.nn.softmax(model.apply({"params": params}, x)[0])


def head_information(state, images, *, model, c, batch_size: int):
  """`[heads]` I(c; c') of each main head between the training images and
  one fixed augmentation of them (the label-free choice of a head)."""
  key = jax.random.fold_in(state.key, SELECTION)
  probs = functools.partial(main_probabilities, state.params, model=model)
  second = np.asarray(jax.jit(lambda x: augment.diff_augment(
      key, x, c.augment, 0))(jnp.asarray(images)))
  p1 = map_batches(jax.jit(probs), images, batch_size=batch_size)
  p2 = map_batches(jax.jit(probs), second, batch_size=batch_size)
  return np.asarray(jax.vmap(lambda a, b: cluster_losses.mutual_information(
      cluster_losses.iic_joint(a, b), eps=c.eps), in_axes=1)(p1, p2))


def evaluate(state, data, key, *, full: bool, model, config,
             num_classes: int = 0):
  """Train (transductive) and test ACC/NMI/ARI of the selected head; with
  `full` the exports and the figures' arrays."""
  del key  # Deterministic.
  c, batch_size = config.iic, config.eval.batch_size
  train = data.split("train")
  info = head_information(state, train["image"], model=model, c=c,
                          batch_size=batch_size)
  head = int(np.argmax(info))
  metrics = {"selected_head": head,
             "selected_head_information": float(info[head])}
  assigned = {}
  for split in ("train", "test"):
    features = data.split(split)
    q = map_batches(jax.jit(functools.partial(
        main_probabilities, state.params, model=model)), features["image"],
                    batch_size=batch_size)[:, head]
    assigned[split] = (np.argmax(q, axis=1), labels_of(features), q)
  metrics.update(deep.assigned_scores(assigned, c.num_clusters))
  if not full:
    return metrics, {}
  clusters, labels, q = assigned["train"]
  order = np.argsort(-q, axis=0)[:c.shown_per_cluster]        # [n, K]
  outputs = {"exports": {"assignments.npz": deep.export_arrays(assigned)},
             "nearest": np.asarray(train["image"])[order.T]}
  outputs.update(deep.confusion_output(clusters, labels, num_classes))
  return metrics, outputs


def report_notes(results: dict, outputs: dict) -> list:
  del results, outputs
  return ["Scores: `test_train_*` are the training split's assignments "
          "(transductive), `test_acc`, `test_nmi`, `test_ari` the test "
          "images' (each its most probable cluster), both from the main "
          "sub-head `test_selected_head`, chosen without labels as the one "
          "with the most information between an image and an augmentation "
          "of it. ACC matches clusters to classes one to one (Hungarian "
          "algorithm). The images shown per cluster are its most confident "
          "members. Every assignment is in `assignments.npz`."]


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """IIC for the images of `spec`."""
  c = config.iic
  model = make_model(c)
  tx = optim.build(config)
  return Method(
      init=step_lib.jit_once(functools.partial(init, model=model, tx=tx)),
      phases=(Phase("train", config.train.num_steps, functools.partial(
          train_step, model=model, tx=tx, c=c)),),
      evaluate=functools.partial(evaluate, model=model, config=config,
                                 num_classes=spec.num_classes),
      figures=functools.partial(deep.figures, title="IIC"),
      report_notes=report_notes,
      fingerprint=dict(method=config.method, iic={
          f: (tuple(c[f]) if isinstance(c[f], tuple) else c[f])
          for f in ("trunk", "hidden", "channels", "num_clusters",
                    "overclusters", "num_heads")}))
