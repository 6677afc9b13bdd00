"""Tests for M2's objective (`losses/semi_supervised.py`)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import logsumexp

from unsup_jax.losses import elbo, semi_supervised as m2


@pytest.fixture(name="case", scope="module")
def _case():
  k1, k2, k3 = jax.random.split(jax.random.key(0), 3)
  return (jax.random.normal(k1, (6, 4)) * 5.0 - 50.0,     # class bounds
          jax.random.normal(k2, (6, 4)) * 2.0,            # q(y|x) logits
          jax.random.normal(k3, (6, 4)))


def test_unlabelled_bound_is_the_expected_bound_plus_the_entropy(case):
  bounds, logits, _ = case
  q = np.asarray(jax.nn.softmax(logits))
  b = np.asarray(bounds)
  expected = [sum(q[i, y] * b[i, y] for y in range(4)) -
              sum(q[i, y] * math.log(q[i, y]) for y in range(4))
              for i in range(6)]
  np.testing.assert_allclose(m2.unlabelled_bound(bounds, logits), expected,
                             rtol=1e-5)


def test_unlabelled_bound_is_tight_at_the_class_posterior(case):
  """sum_y q(y) L_y + H(q) <= log sum_y exp(L_y), with equality at
  q = softmax(L): the bound on log p(x) with y summed out."""
  bounds, logits, other = case
  exact = logsumexp(bounds, axis=-1)
  for lg in (logits, other, jnp.zeros_like(logits)):
    assert np.all(np.asarray(m2.unlabelled_bound(bounds, lg)) <=
                  np.asarray(exact) + 1e-4)
  np.testing.assert_allclose(m2.unlabelled_bound(bounds, bounds), exact,
                             rtol=1e-5)


def test_with_one_class_both_bounds_are_the_vae_elbo():
  log_lik = jnp.array([-80.0, -95.5, -70.25])
  kl = jnp.array([10.0, 12.5, 3.0])
  bound = m2.labelled_bound(log_lik, kl, num_classes=1)
  np.testing.assert_allclose(bound, log_lik - kl)
  u = m2.unlabelled_bound(bound[:, None], jnp.zeros((3, 1)))
  np.testing.assert_allclose(u, log_lik - kl, rtol=1e-6)
  neg, _ = elbo.negative_elbo(log_lik, kl)
  np.testing.assert_allclose(-jnp.mean(u), neg, rtol=1e-6)
  # log p(y) = -log K with K classes.
  np.testing.assert_allclose(m2.labelled_bound(log_lik, kl, 10),
                             log_lik - kl - math.log(10), rtol=1e-6)


def test_the_classifier_learns_from_labels_only_through_alpha(case):
  bounds, logits, other = case
  labels = jnp.array([0, 1, 2, 3, 0, 1])
  labelled_bounds = jnp.take_along_axis(bounds, labels[:, None], -1)[:, 0]

  def loss(lab_logits, unl_logits, alpha):
    return m2.m2_loss(labelled_bounds, lab_logits, labels, bounds[:3],
                      unl_logits, alpha=alpha)[0]
  grad_lab, grad_unl = jax.grad(loss, argnums=(0, 1))(logits, other[:3], 0.0)
  np.testing.assert_array_equal(grad_lab, 0.0)
  assert float(jnp.abs(grad_unl).max()) > 1e-3     # through q(y|x)
  alpha = 7.0
  grad_lab = jax.grad(loss)(logits, other[:3], alpha)
  expected = alpha * (jax.nn.softmax(logits) -
                      jax.nn.one_hot(labels, 4)) / len(labels)
  np.testing.assert_allclose(grad_lab, expected, rtol=1e-5, atol=1e-7)


def test_the_two_streams_are_averaged_separately(case):
  bounds, logits, _ = case
  labels = jnp.array([0, 1])
  lb = jnp.array([-60.0, -40.0])
  loss, metrics = m2.m2_loss(lb, logits[:2], labels, bounds, logits,
                             alpha=0.5)
  np.testing.assert_allclose(metrics["bound_labelled"], -50.0)
  np.testing.assert_allclose(
      metrics["bound_unlabelled"],
      jnp.mean(m2.unlabelled_bound(bounds, logits)), rtol=1e-6)
  np.testing.assert_allclose(
      loss, 50.0 - metrics["bound_unlabelled"] +
      0.5 * metrics["classification"], rtol=1e-6)
  assert 0.0 <= float(metrics["accuracy_labelled"]) <= 1.0
