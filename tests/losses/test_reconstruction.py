"""Tests for unsup_jax.losses.reconstruction against numpy in float64."""

import math

import chex
import jax
import numpy as np
import pytest

from unsup_jax.losses import reconstruction

_SHAPE = (5, 4, 3, 2)
_POOL = 1 << 10


def _uniform(seed, shape=_SHAPE, low=0.0, high=1.0):
  """float32 U(low, high) draws from `jax.random.key(seed)` (one compile)."""
  pool = np.asarray(jax.random.uniform(jax.random.key(seed), (_POOL,)))
  pool = pool[:math.prod(shape)].reshape(shape)
  return (low + (high - low) * pool).astype(np.float32)


def _np_bce(x, logits):
  """Summed binary cross-entropy per example, the textbook way, float64."""
  x = x.astype(np.float64)
  p = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
  bce = -(x * np.log(p) + (1.0 - x) * np.log1p(-p))
  return bce.reshape(len(x), -1).sum(-1)


def _np_squared_error(x, y):
  d = x.astype(np.float64) - y.astype(np.float64)
  return (d * d).reshape(len(x), -1).sum(-1)


def test_squared_error_matches_numpy():
  x, y = _uniform(0), _uniform(1, low=-1.0, high=2.0)
  se = reconstruction.squared_error(x, y)
  chex.assert_shape(se, (5,))
  np.testing.assert_allclose(se, _np_squared_error(x, y), rtol=1e-5)
  np.testing.assert_array_equal(reconstruction.squared_error(x, x),
                                np.zeros(5))


def test_mse_per_pixel_matches_numpy():
  x, y = _uniform(2), _uniform(3, low=-1.0, high=2.0)
  mse = reconstruction.mse_per_pixel(x, y)
  chex.assert_shape(mse, (5,))
  d = x.astype(np.float64) - y
  np.testing.assert_allclose(mse, (d * d).mean(axis=(1, 2, 3)), rtol=1e-5)


def test_mse_per_pixel_on_flat_inputs():
  x, y = _uniform(4, (6, 7)), _uniform(5, (6, 7))
  d = x.astype(np.float64) - y
  np.testing.assert_allclose(reconstruction.mse_per_pixel(x, y),
                             (d * d).mean(-1), rtol=1e-5)


def test_bce_with_logits_matches_numpy():
  x = _uniform(6)
  logits = _uniform(7, low=-6.0, high=6.0)
  bce = reconstruction.bce_with_logits(x, logits)
  chex.assert_shape(bce, (5,))
  np.testing.assert_allclose(bce, _np_bce(x, logits), rtol=1e-5, atol=1e-4)
  # Binary targets and the cross-entropy is non-negative.
  binary = (x > 0.5).astype(np.float32)
  bce = reconstruction.bce_with_logits(binary, logits)
  np.testing.assert_allclose(bce, _np_bce(binary, logits), rtol=1e-5,
                             atol=1e-4)
  assert np.all(np.asarray(bce) >= 0.0)


def test_bce_is_minimised_at_the_target_for_binary_data():
  x = (_uniform(8) > 0.5).astype(np.float32)
  confident = np.where(x > 0.5, 30.0, -30.0).astype(np.float32)
  np.testing.assert_allclose(reconstruction.bce_with_logits(x, confident),
                             np.zeros(5), atol=1e-6)


def test_reconstruction_loss_bce():
  x = _uniform(9)
  logits = _uniform(10, low=-5.0, high=5.0)
  loss, metrics = reconstruction.reconstruction_loss(x, logits, kind="bce")
  np.testing.assert_allclose(loss, _np_bce(x, logits).mean(), rtol=1e-5)
  assert set(metrics) == {"loss", "loss_rec", "mse"}
  np.testing.assert_allclose(metrics["loss"], loss)
  np.testing.assert_allclose(metrics["loss_rec"], loss)
  probs = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
  np.testing.assert_allclose(metrics["mse"], np.mean((x - probs) ** 2),
                             rtol=1e-5)
  # "bce" is the default kind.
  np.testing.assert_allclose(
      reconstruction.reconstruction_loss(x, logits)[0], loss)


def test_reconstruction_loss_mse():
  x = _uniform(11)
  y = _uniform(12, low=-0.5, high=1.5)
  loss, metrics = reconstruction.reconstruction_loss(x, y, kind="mse")
  np.testing.assert_allclose(loss, _np_squared_error(x, y).mean(), rtol=1e-5)
  np.testing.assert_allclose(metrics["loss_rec"], loss)
  np.testing.assert_allclose(
      metrics["mse"], np.mean((x.astype(np.float64) - y) ** 2), rtol=1e-5)


def test_reconstruction_loss_is_differentiable_under_jit():
  x = _uniform(13)
  y = _uniform(14)
  grad = jax.jit(jax.grad(
      lambda o: reconstruction.reconstruction_loss(x, o, kind="mse")[0]))(y)
  # d/dy mean_b sum (x - y)^2 = -2 (x - y) / B.
  np.testing.assert_allclose(grad, -2.0 * (x - y) / 5, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", ["l1", "BCE", "", "cross_entropy"])
def test_unknown_kind_raises(kind):
  x = _uniform(15)
  with pytest.raises(ValueError, match="unknown reconstruction loss"):
    reconstruction.reconstruction_loss(x, x, kind=kind)
