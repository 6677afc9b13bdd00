"""Consistency regularisation of a classifier on unlabelled data.

The classifier is any `logits_fn(x [B, ...]) -> [B, K]`; everything here is
a pure function of it, per example, with per-example keys
(`ops.distributions.per_example_keys`: a pmap step draws what a jit step
does).

* VAT, virtual adversarial training (Miyato, Maeda, Koyama & Ishii 2018,
  "Virtual Adversarial Training: A Regularization Method for Supervised and
  Semi-Supervised Learning", IEEE TPAMI 41(8), arXiv:1704.03976): the
  direction r of norm ε in which the prediction changes most, found by
  power iteration on the KL's Hessian at r = 0 (`vat_direction`: start
  from a random unit d, replace d by the normalised gradient of
  KL(p(y|x) || p(y|x + ξ d)) with respect to d, `iterations` times), and
  the loss KL(p(y|x) || p(y|x + ε d)) with p(y|x) held fixed
  (`vat_loss`); "VAT+EntMin" adds the entropy of p(y|x) (`entropy`).
* FixMatch (Sohn et al. 2020, "FixMatch: Simplifying Semi-Supervised
  Learning with Consistency and Confidence", arXiv:2001.07685): the
  class the classifier gives a weakly augmented image, where its
  probability reaches `threshold`, is the target of the same image
  strongly augmented (`fixmatch_loss`; the augmentations are the
  caller's, `ops/augment.py`).
"""

import jax
import jax.numpy as jnp


def kl_categorical(p_logits: jax.Array, q_logits: jax.Array) -> jax.Array:
  """`[B]` KL(p || q) of the categorical distributions of `[B, K]` logits."""
  log_p = jax.nn.log_softmax(p_logits, axis=-1)
  log_q = jax.nn.log_softmax(q_logits, axis=-1)
  return jnp.sum(jnp.exp(log_p) * (log_p - log_q), axis=-1)


def entropy(logits: jax.Array) -> jax.Array:
  """`[B]` entropy of the categorical distributions of `[B, K]` logits."""
  log_p = jax.nn.log_softmax(logits, axis=-1)
  return -jnp.sum(jnp.exp(log_p) * log_p, axis=-1)


def _unit(d: jax.Array) -> jax.Array:
  """Each example's `d` scaled to unit L2 norm over its non-batch axes
  (first by its largest entry, so that the tiny gradients of a small ξ
  keep their direction; a zero `d` stays zero)."""
  axes = tuple(range(1, d.ndim))
  d = d / (jnp.max(jnp.abs(d), axis=axes, keepdims=True) +
           jnp.finfo(d.dtype).tiny)
  norm = jnp.sqrt(jnp.sum(jnp.square(d), axis=axes, keepdims=True))
  return d / jnp.maximum(norm, 1.0)    # >= 1 unless d is zero


def vat_direction(keys: jax.Array, x: jax.Array, logits_fn, clean_logits, *,
                  xi: float, iterations: int = 1) -> jax.Array:
  """`[B, ...]` unit directions of steepest change of the prediction.

  Args:
    keys: `[B]` one key per example (the random start).
    x: `[B, ...]` inputs.
    logits_fn: `[B, ...] -> [B, K]` (per example: no batch statistics).
    clean_logits: `[B, K]` logits at `x` (held fixed).
    xi: the finite difference ξ of the power iteration.
    iterations: power iterations.
  """
  target = jax.lax.stop_gradient(clean_logits)
  d = _unit(jax.vmap(lambda k, xx: jax.random.normal(k, xx.shape))(keys, x))

  def divergence(d):
    return jnp.sum(kl_categorical(target, logits_fn(x + xi * d)))

  for _ in range(iterations):
    d = _unit(jax.grad(divergence)(d))
  return jax.lax.stop_gradient(d)


def vat_loss(keys: jax.Array, x: jax.Array, logits_fn, clean_logits, *,
             epsilon: float, xi: float, iterations: int = 1) -> jax.Array:
  """`[B]` KL(p(y|x) || p(y|x + ε d)), d = `vat_direction`, p(y|x) fixed;
  its gradient reaches the classifier through the perturbed prediction."""
  d = vat_direction(keys, x, logits_fn, clean_logits, xi=xi,
                    iterations=iterations)
  return kl_categorical(jax.lax.stop_gradient(clean_logits),
                        logits_fn(x + epsilon * d))


def fixmatch_loss(weak_logits: jax.Array, strong_logits: jax.Array, *,
                  threshold: float) -> tuple[jax.Array, jax.Array]:
  """`([B] loss, [B] mask)`: the cross-entropy of the strongly augmented
  image's logits against the weak one's most probable class, where that
  class's probability is at least `threshold` (mask 1), else 0. No
  gradient flows through the weak prediction."""
  weak = jax.lax.stop_gradient(jax.nn.softmax(weak_logits, axis=-1))
  mask = (jnp.max(weak, axis=-1) >= threshold).astype(strong_logits.dtype)
  target = jnp.argmax(weak, axis=-1)
  log_q = jax.nn.log_softmax(strong_logits, axis=-1)
  ce = -jnp.take_along_axis(log_q, target[:, None], axis=-1)[:, 0]
  return ce * mask, mask
