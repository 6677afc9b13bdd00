"""Consistency losses (`losses/consistency.py`) against closed forms: the
KL and entropy of categoricals, VAT's power iteration against the top
eigenvector of the KL's Hessian, FixMatch's confidence mask."""

import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.losses import consistency


def _softmax(z):
  z = np.asarray(z, np.float64)
  e = np.exp(z - z.max(-1, keepdims=True))
  return e / e.sum(-1, keepdims=True)


def test_kl_and_entropy_are_their_closed_forms():
  p = jax.random.normal(jax.random.key(0), (5, 4)) * 2
  q = jax.random.normal(jax.random.key(1), (5, 4)) * 2
  pp, qq = _softmax(p), _softmax(q)
  np.testing.assert_allclose(consistency.kl_categorical(p, q),
                             np.sum(pp * np.log(pp / qq), -1), rtol=1e-5)
  np.testing.assert_allclose(consistency.entropy(p),
                             -np.sum(pp * np.log(pp), -1), rtol=1e-5)
  np.testing.assert_allclose(consistency.kl_categorical(p, p), 0.0,
                             atol=1e-6)


def _linear_case(seed=0):
  """A linear classifier logits = x W on 6 inputs, 3 classes, in float64
  (call under `jax.enable_x64()`: the power iteration's finite difference
  ξ = 1e-3 cancels to a few digits in float32)."""
  rng = np.random.default_rng(seed)
  w = jnp.asarray(rng.normal(size=(6, 3)) * 2.0)
  x = jnp.asarray(rng.normal(size=(4, 6)))
  return w, x, (lambda xx: xx @ w)


def test_vat_direction_is_the_top_eigenvector_of_the_kl_hessian():
  """For logits = x W, the Hessian of KL(p(x) || p(x + r)) in r at r = 0 is
  W (diag(p) - p p^T) W^T; power iteration converges to its top
  eigenvector (up to sign)."""
  with jax.enable_x64():
    w, x, logits_fn = _linear_case()
    keys = jax.random.split(jax.random.key(2), x.shape[0])
    d = np.asarray(consistency.vat_direction(keys, x, logits_fn, logits_fn(x),
                                             xi=1e-3, iterations=30))
    w64 = np.asarray(w, np.float64)
    for i in range(x.shape[0]):
      p = _softmax(np.asarray(x[i], np.float64) @ w64)
      hessian = w64 @ (np.diag(p) - np.outer(p, p)) @ w64.T
      values, vectors = np.linalg.eigh(hessian)
      assert values[-1] > 1.5 * values[-2]          # a clear top direction
      np.testing.assert_allclose(np.linalg.norm(d[i]), 1.0, rtol=1e-5)
      assert abs(d[i] @ vectors[:, -1]) > 0.999


def test_one_power_iteration_moves_a_random_start_towards_the_top():
  with jax.enable_x64():
    w, x, logits_fn = _linear_case(1)
    keys = jax.random.split(jax.random.key(3), x.shape[0])
    start = np.asarray(consistency.vat_direction(keys, x, logits_fn,
                                                 logits_fn(x), xi=1e-5,
                                                 iterations=0))
    once = np.asarray(consistency.vat_direction(keys, x, logits_fn,
                                                logits_fn(x), xi=1e-5,
                                                iterations=1))
    w64 = np.asarray(w, np.float64)
    for i in range(x.shape[0]):
      p = _softmax(np.asarray(x[i], np.float64) @ w64)
      hessian = w64 @ (np.diag(p) - np.outer(p, p)) @ w64.T
      # One step of the iteration is H d0, normalised (to O(xi)).
      expected = hessian @ start[i]
      np.testing.assert_allclose(once[i], expected / np.linalg.norm(expected),
                                 atol=1e-6)


def test_vat_keys_are_per_example():
  """An example's direction depends on its own key and input alone (so a
  step split over devices draws what one device does)."""
  with jax.enable_x64():
    _, x, logits_fn = _linear_case()
    keys = jax.random.split(jax.random.key(4), x.shape[0])
    whole = consistency.vat_direction(keys, x, logits_fn, logits_fn(x),
                                      xi=1e-3)
    for i in range(x.shape[0]):
      alone = consistency.vat_direction(keys[i:i + 1], x[i:i + 1], logits_fn,
                                        logits_fn(x[i:i + 1]), xi=1e-3)
      np.testing.assert_allclose(whole[i], alone[0], rtol=1e-9, atol=1e-12)


def test_vat_loss_is_the_kl_at_the_perturbed_input_and_spares_the_target():
  with jax.enable_x64():
    w, x, logits_fn = _linear_case()
    keys = jax.random.split(jax.random.key(5), x.shape[0])
    d = consistency.vat_direction(keys, x, logits_fn, logits_fn(x), xi=1e-3)
    loss = consistency.vat_loss(keys, x, logits_fn, logits_fn(x), epsilon=0.5,
                                xi=1e-3)
    np.testing.assert_allclose(
        loss, consistency.kl_categorical(logits_fn(x), logits_fn(x + 0.5 * d)),
        rtol=1e-5)
    # The clean prediction is a fixed target: the gradient with respect to
    # the weights is that of the perturbed branch alone.
    def through(ww, clean_ww):
      return jnp.sum(consistency.vat_loss(
          keys, x, lambda xx: xx @ ww, x @ clean_ww, epsilon=0.5, xi=1e-3))
    g = jax.grad(through)(w, w)
    g_clean = jax.grad(through, argnums=1)(w, w)
    assert float(jnp.max(jnp.abs(g))) > 1e-3
    np.testing.assert_array_equal(g_clean, 0.0)


def test_fixmatch_keeps_exactly_the_confident_examples():
  weak = jnp.array([[4.0, 0.0, 0.0], [0.5, 0.4, 0.3], [0.0, 0.0, 9.0],
                    [1.0, 1.0, 1.0]])
  strong = jax.random.normal(jax.random.key(6), (4, 3))
  loss, mask = consistency.fixmatch_loss(weak, strong, threshold=0.95)
  confident = _softmax(weak).max(-1) >= 0.95
  np.testing.assert_array_equal(mask, confident.astype(np.float32))
  assert confident.tolist() == [False, False, True, False] or \
      confident.tolist() == [True, False, True, False]
  log_q = np.log(_softmax(strong))
  target = np.asarray(weak).argmax(-1)
  expected = np.where(confident, -log_q[np.arange(4), target], 0.0)
  np.testing.assert_allclose(loss, expected, rtol=1e-5)
  # No gradient through the weak view.
  g = jax.grad(lambda wk: jnp.sum(consistency.fixmatch_loss(
      wk, strong, threshold=0.5)[0]))(weak)
  np.testing.assert_array_equal(g, 0.0)
