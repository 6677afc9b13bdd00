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
            adv.least_squares_g_loss, adv.wasserstein_g_loss]
D_LOSSES = [adv.minimax_d_loss, adv.hinge_d_loss, adv.least_squares_d_loss,
            adv.wasserstein_d_loss]


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
  assert adv.get("wasserstein").d is adv.wasserstein_d_loss
  with pytest.raises(UserError, match="unknown"):
    adv.get("wgan")
  with pytest.raises(UserError, match="unknown"):
    adv.get("minimax", allowed=("hinge",))


def test_wasserstein_values():
  rng = np.random.default_rng(1)
  real, fake = rng.normal(1, 2, (7,)), rng.normal(-1, 2, (5, 1))
  d, dm = adv.wasserstein_d_loss(jnp.asarray(real, jnp.float32),
                                 jnp.asarray(fake, jnp.float32))
  np.testing.assert_allclose(d, fake.mean() - real.mean(), rtol=1e-5)
  np.testing.assert_allclose(dm["d_loss"], d)
  np.testing.assert_allclose(dm["wasserstein"], real.mean() - fake.mean(),
                             rtol=1e-5)
  np.testing.assert_allclose(dm["d_real"], real.mean(), rtol=1e-5)
  np.testing.assert_allclose(dm["d_fake"], fake.mean(), rtol=1e-5)
  g, gm = adv.wasserstein_g_loss(jnp.asarray(fake, jnp.float32))
  np.testing.assert_allclose(g, -fake.mean(), rtol=1e-5)
  assert set(gm) == {"g_loss", "d_fake"}
  # Unbounded, unlike the other losses: shifting the critic shifts nothing.
  shifted = adv.wasserstein_d_loss(jnp.asarray(real + 50.0, jnp.float32),
                                   jnp.asarray(fake + 50.0, jnp.float32))[0]
  np.testing.assert_allclose(shifted, d, rtol=1e-4)


# A linear critic f(x) = <w, x> + b on flattened inputs: its input gradient is
# w everywhere, so WGAN-GP = (||w|| - 1)^2 and R1 = ||w||^2 exactly.
def _linear_critic(params, x, keepdims=False):
  out = x.reshape(x.shape[0], -1) @ params["w"] + params["b"]
  return out[:, None] if keepdims else out


def _linear_params(d, norm, seed=0):
  w = np.random.default_rng(seed).normal(size=(d,))
  return {"w": jnp.asarray(norm * w / np.linalg.norm(w), jnp.float32),
          "b": jnp.float32(0.3)}


def _batch(shape, seed):
  return jnp.asarray(np.random.default_rng(seed).normal(size=shape),
                     jnp.float32)


@pytest.mark.parametrize("keepdims", [False, True])
def test_gradient_penalty_of_a_unit_norm_linear_critic_is_zero(keepdims):
  params = _linear_params(12, 1.0)
  real, fake = _batch((8, 12), 1), _batch((8, 12), 2)
  gp, m = adv.gradient_penalty(
      lambda x: _linear_critic(params, x, keepdims), real, fake,
      jax.random.key(0))
  assert abs(float(gp)) < 1e-10
  np.testing.assert_allclose(m["d_grad_norm"], 1.0, rtol=1e-6)
  assert float(m["d_gp"]) == float(gp)


@pytest.mark.parametrize("norm", [0.0, 0.25, 3.0])
def test_gradient_penalty_of_a_linear_critic_is_norm_minus_one_squared(norm):
  params = _linear_params(12, norm)
  real, fake = _batch((8, 12), 1), _batch((8, 12), 2)
  gp, m = adv.gradient_penalty(lambda x: _linear_critic(params, x), real,
                               fake, jax.random.key(3))
  np.testing.assert_allclose(gp, (norm - 1.0) ** 2, rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(m["d_grad_norm"], norm, rtol=1e-5, atol=1e-7)


def test_gradient_penalty_matches_per_example_autodiff_on_images():
  """A nonlinear critic on [B, H, W, C]: the batched penalty equals an
  independent per-example computation with the same interpolates, whose
  weights are keyed by global example index."""
  rng = np.random.default_rng(4)
  w1 = jnp.asarray(rng.normal(size=(4 * 5 * 2, 6)) * 0.3, jnp.float32)
  w2 = jnp.asarray(rng.normal(size=(6,)), jnp.float32)

  def critic(x):
    return jnp.tanh(x.reshape(x.shape[0], -1) @ w1) @ w2

  real, fake = _batch((5, 4, 5, 2), 5), _batch((5, 4, 5, 2), 6)
  key = jax.random.key(7)
  gp, m = adv.gradient_penalty(critic, real, fake, key, example_offset=3)
  # Example i's weight comes from fold_in(key, offset + i).
  eps = np.asarray([jax.random.uniform(jax.random.fold_in(key, 3 + i))
                    for i in range(5)]).reshape(5, 1, 1, 1)
  assert np.all((eps >= 0) & (eps <= 1)) and np.ptp(eps) > 0
  x_hat = eps * np.asarray(real) + (1 - eps) * np.asarray(fake)
  norms = []
  for i in range(5):
    g = jax.grad(lambda xi: critic(xi[None])[0])(jnp.asarray(x_hat[i]))
    norms.append(np.linalg.norm(np.asarray(g, np.float64)))
  norms = np.array(norms)
  np.testing.assert_allclose(gp, np.mean((norms - 1) ** 2), rtol=1e-4)
  np.testing.assert_allclose(m["d_grad_norm"], norms.mean(), rtol=1e-5)
  # R1 on the same critic and images, against the same per-example grads.
  r1, rm = adv.r1_penalty(critic, real)
  sq = [np.sum(np.square(np.asarray(
      jax.grad(lambda xi: critic(xi[None])[0])(real[i]), np.float64)))
        for i in range(5)]
  np.testing.assert_allclose(r1, np.mean(sq), rtol=1e-4)
  assert float(rm["d_r1"]) == float(r1)


@pytest.mark.parametrize("norm", [0.5, 1.0, 2.0])
def test_r1_of_a_linear_critic_is_squared_weight_norm(norm):
  params = _linear_params(3 * 3 * 2, norm, seed=2)
  real = _batch((6, 3, 3, 2), 8)
  r1, m = adv.r1_penalty(lambda x: _linear_critic(params, x, True), real)
  np.testing.assert_allclose(r1, norm ** 2, rtol=1e-5)
  np.testing.assert_allclose(m["d_r1"], norm ** 2, rtol=1e-5)


def test_penalties_are_differentiable_in_the_critic_parameters():
  params = _linear_params(12, 2.0)
  real, fake = _batch((8, 12), 1), _batch((8, 12), 2)
  key = jax.random.key(0)

  def gp(p):
    return adv.gradient_penalty(lambda x: _linear_critic(p, x), real, fake,
                                key)[0]

  def r1(p):
    return adv.r1_penalty(lambda x: _linear_critic(p, x), real)[0]

  w = np.asarray(params["w"], np.float64)
  g_gp, g_r1 = jax.grad(gp)(params), jax.grad(r1)(params)
  # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||; d/dw ||w||^2 = 2 w.
  np.testing.assert_allclose(g_gp["w"], 2 * (2.0 - 1) * w / 2.0, rtol=1e-4)
  np.testing.assert_allclose(g_r1["w"], 2 * w, rtol=1e-5)
  assert float(g_gp["b"]) == 0.0 and float(g_r1["b"]) == 0.0
  # At w = 0 the norm is 0: finite (not NaN) gradients.
  g0 = jax.grad(gp)(_linear_params(12, 0.0))
  assert np.all(np.isfinite(np.asarray(g0["w"])))


def test_penalty_shape_errors():
  critic = lambda x: x.reshape(x.shape[0], -1)   # [B, D]: not a critic
  with pytest.raises(UserError, match="critic_fn"):
    adv.r1_penalty(critic, jnp.ones((3, 4)))
  with pytest.raises(UserError, match="one shape"):
    adv.gradient_penalty(lambda x: x[:, 0], jnp.ones((3, 4)),
                         jnp.ones((2, 4)), jax.random.key(0))


def test_one_sided_label_smoothing_moves_the_optimum_of_real_logits_only():
  s = 0.9
  real_grad = jax.grad(lambda r: adv.minimax_d_loss(
      r, jnp.zeros(1), real_label=s)[0])
  # The real term is minimised where D(x) = s, i.e. at logit log(s/(1-s)).
  np.testing.assert_allclose(real_grad(jnp.full(1, np.log(s / (1 - s)))),
                             0.0, atol=1e-6)
  assert real_grad(jnp.full(1, 4.0))[0] > 0      # pushed back from D(x)->1
  # The fake term is the unsmoothed one; s = 1 is the plain loss.
  fake = jnp.asarray([-1.0, 0.5, 2.0])
  real = jnp.asarray([0.3, 1.0, -2.0])
  plain = adv.minimax_d_loss(real, fake)[0]
  np.testing.assert_allclose(adv.minimax_d_loss(real, fake, real_label=1.0)[0],
                             plain)
  fake_grad = lambda label: jax.grad(lambda f: adv.minimax_d_loss(
      real, f, real_label=label)[0])(fake)
  np.testing.assert_allclose(fake_grad(s), fake_grad(1.0), rtol=1e-6)
  smoothed = adv.get("non_saturating", real_label=s)
  np.testing.assert_allclose(
      smoothed.d(real, fake)[0],
      adv.minimax_d_loss(real, fake, real_label=s)[0])
  assert smoothed.g is adv.non_saturating_g_loss


def test_label_smoothing_needs_a_cross_entropy_loss():
  with pytest.raises(UserError, match="cross-entropy"):
    adv.get("hinge", real_label=0.9)
