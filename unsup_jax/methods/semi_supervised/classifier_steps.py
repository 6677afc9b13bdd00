"""The steps of the models that train the classifier q(y|x) alone
(`semi.model` supervised, vat, fixmatch; `semi_supervised.py` builds
them): the cross-entropy of the labelled batch, and for the consistency
methods a loss on the unlabelled batch (`losses/consistency.py`).

* supervised: the labelled batch's cross-entropy, the images through
  `semi.augment` (none by default): the labels alone, with or without the
  augmentation the consistency methods use.
* vat (Miyato et al. 2018): plus `unlabelled_weight` x VAT's KL at the
  virtual adversarial perturbation of norm `vat_epsilon` of each
  unlabelled image, and `entmin_weight` x the entropy of its prediction
  (VAT+EntMin).
* fixmatch (Sohn et al. 2020): plus `unlabelled_weight` x the mean over
  the unlabelled batch of the cross-entropy of its strongly augmented
  images (`strong_augment`) against the weakly augmented ones' confident
  classes (`augment`, probability >= `threshold`).

Every random draw (augmentations, VAT's start) is keyed per example by
its index in the global batch: pmap draws what jit does.
"""

import jax
import jax.numpy as jnp

from unsup_jax.losses import consistency
from unsup_jax.methods.semi_supervised.bounds import Models, flat
from unsup_jax.ops import augment, distributions
from unsup_jax.training import step as step_lib

# Key streams of one step's draws.
LABELLED_VIEW, WEAK_VIEW, STRONG_VIEW, VAT_START = 11, 12, 13, 14


def _view(state, images, policy: str, which: int, axis_name):
  """`images` `[B, H, W, C]` through `policy`, keyed per example; flat."""
  if policy:
    key = jax.random.fold_in(step_lib.step_key(state), which)
    images = augment.diff_augment(
        key, images, policy, step_lib.example_offset(images.shape[0],
                                                     axis_name))
  return flat(images)


def cross_entropy(logits, labels) -> tuple[jax.Array, jax.Array]:
  """Mean cross-entropy and accuracy of `[B, K]` logits against `labels`."""
  log_q = jax.nn.log_softmax(logits, axis=-1)
  ce = -jnp.mean(jnp.take_along_axis(log_q, labels[:, None], axis=-1))
  return ce, jnp.mean((jnp.argmax(logits, -1) == labels).astype(jnp.float32))


def _update(state, loss_fn, tx, axis_name):
  """One update of the classifier's parameters on `loss_fn`'s gradient."""
  def step(sub):
    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        sub.params)
    return step_lib.apply_gradients(sub, grads, metrics, tx,
                                    axis_name=axis_name)
  return step_lib.on_part(state, "classifier", step)


def supervised_step(state, batch, *, m: Models, tx, s, axis_name=None):
  """Cross-entropy of q(y | x) on the labelled batch."""
  x = _view(state, batch["labelled"]["image"], s.augment, LABELLED_VIEW,
            axis_name)
  labels = batch["labelled"]["label"]

  def loss_fn(params):
    ce, accuracy = cross_entropy(
        m.classifier.apply({"params": params}, x), labels)
    return ce, {"loss": ce, "accuracy_labelled": accuracy}
  return _update(state, loss_fn, tx, axis_name)


def vat_step(state, batch, *, m: Models, tx, s, axis_name=None):
  """The labelled cross-entropy plus VAT (and entropy) on the unlabelled
  batch."""
  x_l = _view(state, batch["labelled"]["image"], s.augment, LABELLED_VIEW,
              axis_name)
  labels = batch["labelled"]["label"]
  x_u = flat(batch["unlabelled"]["image"])
  keys = distributions.per_example_keys(
      jax.random.fold_in(step_lib.step_key(state), VAT_START), x_u.shape[0],
      step_lib.example_offset(x_u.shape[0], axis_name))

  def loss_fn(params):
    logits_fn = lambda x: m.classifier.apply({"params": params}, x)
    ce, accuracy = cross_entropy(logits_fn(x_l), labels)
    logits_u = logits_fn(x_u)
    vat = jnp.mean(consistency.vat_loss(
        keys, x_u, logits_fn, logits_u, epsilon=s.vat_epsilon, xi=s.vat_xi,
        iterations=s.vat_iterations))
    ent = jnp.mean(consistency.entropy(logits_u))
    loss = ce + s.unlabelled_weight * vat + s.entmin_weight * ent
    return loss, {"loss": loss, "classification": ce, "vat": vat,
                  "entropy_unlabelled": ent, "accuracy_labelled": accuracy}
  return _update(state, loss_fn, tx, axis_name)


def fixmatch_step(state, batch, *, m: Models, tx, s, axis_name=None):
  """The labelled cross-entropy (weak view) plus FixMatch's loss on the
  unlabelled batch."""
  lab, unl = batch["labelled"], batch["unlabelled"]
  x_l = _view(state, lab["image"], s.augment, LABELLED_VIEW, axis_name)
  weak = _view(state, unl["image"], s.augment, WEAK_VIEW, axis_name)
  strong = _view(state, unl["image"], s.strong_augment, STRONG_VIEW,
                 axis_name)

  def loss_fn(params):
    logits_fn = lambda x: m.classifier.apply({"params": params}, x)
    ce, accuracy = cross_entropy(logits_fn(x_l), lab["label"])
    weak_logits = logits_fn(weak)
    unlabelled, mask = consistency.fixmatch_loss(
        weak_logits, logits_fn(strong), threshold=s.threshold)
    loss = ce + s.unlabelled_weight * jnp.mean(unlabelled)
    # A diagnostic only (the loss never reads these labels): the share of
    # the batch with a kept and right pseudo-label (divided by mask_rate:
    # the kept ones' accuracy).
    right = (jnp.argmax(weak_logits, -1) == unl["label"]).astype(mask.dtype)
    return loss, {"loss": loss, "classification": ce,
                  "accuracy_labelled": accuracy, "mask_rate": jnp.mean(mask),
                  "pseudo_labels_right": jnp.mean(right * mask)}
  return _update(state, loss_fn, tx, axis_name)
