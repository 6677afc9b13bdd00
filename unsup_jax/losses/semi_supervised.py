"""The objective of the M2 model of semi-supervised learning.

Kingma, Rezende, Mohamed & Welling (2014), "Semi-Supervised Learning with
Deep Generative Models", arXiv:1406.5298, section 3.1.2. The generative
model is p(y) p(z) p(x | y, z) with y a class (uniform p(y)) and z
continuous; the inference model q(y | x) q(z | x, y).

* labelled data (eq. 6): -L(x, y) = E_q(z|x,y)[log p(x | y, z)] + log p(y)
  - KL(q(z | x, y) || p(z)), a lower bound on log p(x, y);
* unlabelled data (eq. 7): -U(x) = sum_y q(y | x) (-L(x, y)) + H(q(y | x)),
  a lower bound on log p(x) with y summed out exactly, every class at once
  (`labelled_bound` evaluated on a `[B, K]` grid);
* the classifier would learn only from unlabelled data, so the labelled
  examples add alpha times the cross-entropy -log q(y | x) (eq. 9, with
  the paper's alpha = 0.1 N for N examples).

Everything here is a function of arrays: the networks are the caller's.
Bounds are returned as lower bounds on the log-likelihood (larger is
better); `m2_loss` turns them into the mean loss a step minimises.
"""

import math

import jax
import jax.numpy as jnp


def labelled_bound(log_likelihood: jax.Array, kl: jax.Array,
                   num_classes: int) -> jax.Array:
  """The bound on log p(x, y): log p(x | y, z) + log p(y) - KL, with p(y)
  uniform over `num_classes`; `[...]` arrays of any matching shape (one
  entry per example, or per example and class)."""
  return log_likelihood - math.log(num_classes) - kl


def unlabelled_bound(class_bounds: jax.Array,
                     class_logits: jax.Array) -> jax.Array:
  """`[B]` the bound on log p(x) with y summed out: sum_y q(y | x) *
  class_bounds[:, y] + H(q(y | x)).

  Args:
    class_bounds: `[B, K]` `labelled_bound` of each example with each class.
    class_logits: `[B, K]` logits of q(y | x).
  """
  log_q = jax.nn.log_softmax(class_logits, axis=-1)
  q = jnp.exp(log_q)
  return jnp.sum(q * (class_bounds - log_q), axis=-1)


def m2_loss(labelled_bounds: jax.Array, labelled_logits: jax.Array,
            labels: jax.Array, class_bounds: jax.Array,
            unlabelled_logits: jax.Array, *,
            alpha: float) -> tuple[jax.Array, dict]:
  """M2's loss on a labelled and an unlabelled batch (each averaged over
  its own examples, so the two streams may have different batch sizes):

    -mean L-bound(labelled) - mean U-bound(unlabelled) + alpha * mean CE.

  Args:
    labelled_bounds: `[B_l]` `labelled_bound` of the labelled examples with
      their labels.
    labelled_logits: `[B_l, K]` q(y | x) logits of the labelled examples.
    labels: `[B_l]` int classes.
    class_bounds: `[B_u, K]` `labelled_bound` of the unlabelled examples
      with every class.
    unlabelled_logits: `[B_u, K]` q(y | x) logits of the unlabelled ones.
    alpha: weight of the classification term.

  Returns:
    `(loss, {"loss", "bound_labelled", "bound_unlabelled",
    "classification", "accuracy_labelled"})`.
  """
  log_q = jax.nn.log_softmax(labelled_logits, axis=-1)
  cross_entropy = -jnp.mean(jnp.take_along_axis(log_q, labels[:, None],
                                                axis=-1))
  bound_l = jnp.mean(labelled_bounds)
  bound_u = jnp.mean(unlabelled_bound(class_bounds, unlabelled_logits))
  loss = -bound_l - bound_u + alpha * cross_entropy
  accuracy = jnp.mean((jnp.argmax(labelled_logits, -1) == labels)
                      .astype(jnp.float32))
  return loss, {"loss": loss, "bound_labelled": bound_l,
                "bound_unlabelled": bound_u, "classification": cross_entropy,
                "accuracy_labelled": accuracy}
