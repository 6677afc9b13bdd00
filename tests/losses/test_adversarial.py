"""Tests for unsup_jax.losses.adversarial: values, gradients, stability."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.errors import UserError
from unsup_jax.losses import adversarial as adv

LOG2 = math.log(2.0)


def _np_softplus(x):
  x = np.asarray(x, np.float64)
  return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def test_cross_entropy_losses_at_zero_logits():
  zeros = jnp.zeros((6,))
  d, dm = adv.minimax_d_loss(zeros, zeros)
  np.testing.assert_allclose(d, 2 * LOG2, rtol=1e-6)
  assert float(dm["d_real_prob"]) == 0.5 and float(dm["d_fake_prob"]) == 0.5
  np.testing.assert_allclose(adv.minimax_g_loss(zeros)[0], -LOG2, rtol=1e-6)
  np.testing.assert_allclose(adv.non_saturating_g_loss(zeros)[0], LOG2,
                             rtol=1e-6)


def test_cross_entropy_losses_match_the_textbook_formulas():
  rng = np.random.default_rng(0)
  real, fake = rng.normal(0, 3, (7,)), rng.normal(0, 3, (5, 1))
  d_real, d_fake = 1 / (1 + np.exp(-real)), 1 / (1 + np.exp(-fake))
  d, dm = adv.minimax_d_loss(jnp.asarray(real, jnp.float32),
                             jnp.asarray(fake, jnp.float32))
  np.testing.assert_allclose(
      d, -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake)), rtol=1e-5)
  np.testing.assert_allclose(dm["d_real"], real.mean(), rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(dm["d_fake_prob"], d_fake.mean(), rtol=1e-5)
  f32 = jnp.asarray(fake, jnp.float32)
  np.testing.assert_allclose(adv.minimax_g_loss(f32)[0],
                             np.mean(np.log(1 - d_fake)), rtol=1e-5)
  np.testing.assert_allclose(adv.non_saturating_g_loss(f32)[0],
                             -np.mean(np.log(d_fake)), rtol=1e-5)


def test_cross_entropy_losses_are_stable_at_large_logits():
  big = jnp.array([100.0, -100.0, 80.0])
  for value in (adv.minimax_d_loss(big, -big)[0], adv.minimax_d_loss(-big, big)[0],
                adv.minimax_g_loss(big)[0], adv.non_saturating_g_loss(big)[0]):
    assert np.isfinite(float(value))
  np.testing.assert_allclose(adv.minimax_d_loss(-big, big)[0],
                             2 * np.mean(_np_softplus([100, -100, 80])),
                             rtol=1e-5)
  np.testing.assert_allclose(adv.non_saturating_g_loss(jnp.array([-100.0]))[0],
                             100.0, rtol=1e-6)
  grads = jax.grad(lambda f: adv.non_saturating_g_loss(f)[0])(big)
  assert np.all(np.isfinite(grads))


def test_hinge_values():
  two = jnp.full((4,), 2.0)
  assert float(adv.hinge_d_loss(two, -two)[0]) == 0.0   # beyond the margins
  assert float(adv.hinge_d_loss(-two, two)[0]) == 6.0   # 3 + 3
  assert float(adv.hinge_d_loss(jnp.array([0.5, 2.0]),
                                jnp.array([-0.5]))[0]) == 0.25 + 0.5
  assert float(adv.hinge_g_loss(two)[0]) == -2.0
  assert float(adv.hinge_g_loss(-two)[0]) == 2.0


def test_least_squares_values():
  two = jnp.full((4,), 2.0)
  assert float(adv.least_squares_d_loss(two, -two)[0]) == 0.5 * (1 + 4)
  assert float(adv.least_squares_d_loss(jnp.ones(3), jnp.zeros(3))[0]) == 0
  assert float(adv.least_squares_g_loss(-two)[0]) == 0.5 * 9
  # Targets (a, b, c) = (-1, 1, 0), the other choice of Mao et al.
  d, _ = adv.least_squares_d_loss(two, -two, real_target=1.0, fake_target=-1.0)
  assert float(d) == 0.5 * (1 + 1)
  assert float(adv.least_squares_g_loss(-two, target=0.0)[0]) == 0.5 * 4


G_LOSSES = [adv.minimax_g_loss, adv.non_saturating_g_loss, adv.hinge_g_loss,
            adv.least_squares_g_loss]
D_LOSSES = [adv.minimax_d_loss, adv.hinge_d_loss, adv.least_squares_d_loss]


@pytest.mark.parametrize("g_loss", G_LOSSES)
def test_generator_loss_decreases_as_fake_logits_rise(g_loss):
  # Below every loss's optimum (the least-squares target is 1).
  fake = jnp.linspace(-3.0, 0.9, 8)
  grads = jax.grad(lambda f: g_loss(f)[0])(fake)
  assert np.all(np.asarray(grads) < 0)
  assert float(g_loss(fake + 0.05)[0]) < float(g_loss(fake)[0])


@pytest.mark.parametrize("d_loss", D_LOSSES)
def test_discriminator_loss_rewards_separating(d_loss):
  # Inside every loss's margins (least squares: fake target 0, real 1).
  real, fake = jnp.linspace(-0.9, 0.9, 6), jnp.linspace(0.1, 0.9, 5)
  g_real, g_fake = jax.grad(lambda r, f: d_loss(r, f)[0], (0, 1))(real, fake)
  assert np.all(np.asarray(g_real) < 0) and np.all(np.asarray(g_fake) > 0)


def test_non_saturating_gradient_is_larger_when_samples_are_rejected():
  fake = jnp.full((4,), -10.0)        # D is sure the samples are fake
  g_minimax = jax.grad(lambda f: adv.minimax_g_loss(f)[0])(fake)
  g_ns = jax.grad(lambda f: adv.non_saturating_g_loss(f)[0])(fake)
  # d/df of -softplus(f) / B is -sigmoid(f) / B; of softplus(-f) / B is
  # -sigmoid(-f) / B.
  sig = 1 / (1 + math.exp(10.0))
  np.testing.assert_allclose(g_minimax, -sig / 4, rtol=1e-4)
  np.testing.assert_allclose(g_ns, -(1 - sig) / 4, rtol=1e-4)
  assert np.all(np.abs(g_ns) > 1000 * np.abs(g_minimax))


def test_metric_keys_and_registry():
  x = jnp.zeros((2,))
  for name, pair in adv.LOSSES.items():
    _, dm = pair.d(x, x)
    _, gm = pair.g(x)
    assert {"d_loss", "d_real", "d_fake"} <= set(dm), name
    assert {"g_loss", "d_fake"} <= set(gm), name
  assert adv.get("non_saturating").d is adv.minimax_d_loss
  assert adv.get("hinge").g is adv.hinge_g_loss
  with pytest.raises(UserError, match="unknown"):
    adv.get("wasserstein")
  with pytest.raises(UserError, match="unknown"):
    adv.get("minimax", allowed=("hinge",))
