"""Tests for unsup_jax.losses.sparsity against numpy in float64."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.losses import sparsity

RNG = np.random.default_rng(0)


def _np_kl(rho, rho_hat):
  """sum_j KL(Bern(rho) || Bern(rho_hat_j)), float64, from the definition."""
  rho_hat = np.asarray(rho_hat, np.float64)
  return float(np.sum(rho * np.log(rho / rho_hat) +
                      (1 - rho) * np.log((1 - rho) / (1 - rho_hat))))


def test_l1_and_l2_match_numpy():
  a = RNG.normal(size=(7, 5)).astype(np.float32)
  np.testing.assert_allclose(sparsity.l1_penalty(a),
                             np.abs(a).sum(1).mean(), rtol=1e-6)
  np.testing.assert_allclose(sparsity.l2_penalty(a),
                             (a.astype(np.float64) ** 2).sum(1).mean(),
                             rtol=1e-6)


@pytest.mark.parametrize("target", [0.05, 0.3])
def test_kl_matches_numpy_and_is_non_negative(target):
  for _ in range(5):
    a = RNG.uniform(0.0, 1.0, size=(16, 9)).astype(np.float32) ** 3
    kl = float(sparsity.kl_sparsity(a, target=target))
    assert kl >= 0
    np.testing.assert_allclose(kl, _np_kl(target, a.mean(0)), rtol=1e-4)


def test_kl_is_zero_exactly_at_the_target():
  rho = 0.25
  # Every column averages to exactly 0.25 (values exact in binary).
  a = np.array([[0.5, 0.0, 0.25], [0.0, 0.5, 0.25],
                [0.5, 0.25, 0.25], [0.0, 0.25, 0.25]], np.float32)
  assert float(sparsity.kl_sparsity(a, target=rho)) == pytest.approx(0.0,
                                                                     abs=1e-7)
  # ... and moving any unit's mean away from rho makes it positive.
  assert float(sparsity.kl_sparsity(a + 0.01, target=rho)) > 1e-5


def test_kl_is_finite_for_saturated_units_and_grad_matches_numpy():
  a = np.array([[0.0, 1.0, 0.2], [0.0, 1.0, 0.4]], np.float32)
  assert np.isfinite(float(sparsity.kl_sparsity(a, target=0.05)))
  b = RNG.uniform(0.1, 0.9, size=(4, 3)).astype(np.float32)
  grad = jax.grad(lambda x: sparsity.kl_sparsity(x, target=0.1))(b)
  rho_hat = b.astype(np.float64).mean(0)
  # d KL / d rho_hat = (rho_hat - rho) / (rho_hat (1 - rho_hat)); / B per a.
  expected = (rho_hat - 0.1) / (rho_hat * (1 - rho_hat)) / len(b)
  np.testing.assert_allclose(grad, np.broadcast_to(expected, b.shape),
                             rtol=1e-4)


@pytest.mark.parametrize("kind", sparsity.KINDS)
def test_sparsity_penalty_weights_and_metrics(kind):
  a = RNG.uniform(0.0, 0.3, size=(10, 6)).astype(np.float32)
  weighted, metrics = sparsity.sparsity_penalty(a, kind=kind, weight=2.5,
                                                target=0.05, threshold=0.15)
  raw = {"none": 0.0, "l1": np.abs(a).sum(1).mean(),
         "l2": (a.astype(np.float64) ** 2).sum(1).mean(),
         "kl": _np_kl(0.05, a.mean(0))}[kind]
  np.testing.assert_allclose(metrics["loss_sparsity"], raw, rtol=1e-4)
  np.testing.assert_allclose(weighted, 2.5 * raw, rtol=1e-4)
  np.testing.assert_allclose(metrics["mean_activation"], a.mean(), rtol=1e-5)
  np.testing.assert_allclose(metrics["active_fraction"],
                             np.mean(a.mean(0) > 0.15))


def test_active_fraction_counts_units_by_their_mean():
  a = np.zeros((4, 5), np.float32)
  a[:, 0] = 1.0           # always on
  a[0, 1] = 0.2           # mean 0.05: below 0.1
  a[:2, 2] = 0.4          # mean 0.2: above
  _, m = sparsity.sparsity_penalty(a, kind="l1", weight=1.0, threshold=0.1)
  assert float(m["active_fraction"]) == pytest.approx(2 / 5)
  _, m = sparsity.sparsity_penalty(a, kind="l1", weight=1.0, threshold=0.0)
  assert float(m["active_fraction"]) == pytest.approx(3 / 5)   # 2 dead units


def test_unknown_kind_raises():
  with pytest.raises(ValueError, match="unknown sparsity"):
    sparsity.sparsity_penalty(np.ones((2, 2)), kind="l0", weight=1.0)


def test_kl_under_pmap_equals_the_whole_batch():
  """Global-batch rho_hat under pmap: value and averaged parameter gradient
  equal the single-device computation."""
  n = jax.local_device_count()
  x = RNG.normal(size=(4 * n, 3)).astype(np.float32)
  theta = RNG.normal(size=(3, 5)).astype(np.float32)

  def loss(th, xx, axis_name=None):
    return sparsity.kl_sparsity(jax.nn.sigmoid(xx @ th), target=0.1,
                                axis_name=axis_name)

  value, grad = jax.jit(jax.value_and_grad(loss))(theta, x)

  @functools.partial(jax.pmap, axis_name="d", in_axes=(None, 0))
  def sharded(th, xx):
    v, g = jax.value_and_grad(loss)(th, xx, "d")
    return v, jax.lax.pmean(g, "d")

  v8, g8 = sharded(theta, x.reshape(n, 4, 3))
  np.testing.assert_allclose(v8, np.full(n, value), rtol=1e-5)
  np.testing.assert_allclose(g8[0], grad, rtol=1e-4, atol=1e-6)
  # Without the global mean the value would differ: the test can fail.
  local = jnp.stack([loss(theta, s) for s in x.reshape(n, 4, 3)])
  assert not np.allclose(local, value, rtol=1e-3)
