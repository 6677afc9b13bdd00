"""Tests for `unsup_jax.ops.augment` (DiffAugment)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.ops import augment


@pytest.fixture(name="images")
def _images():
  return jnp.asarray(np.random.default_rng(0).random((6, 8, 8, 1)),
                     jnp.float32)


def test_translate_moves_whole_pixels_and_fills_zeros(images):
  x = images[0]
  np.testing.assert_array_equal(augment.translate(x, jnp.array([0, 0])), x)
  moved = augment.translate(x, jnp.array([2, -1]))
  np.testing.assert_array_equal(moved[2:, :-1], x[:-2, 1:])
  np.testing.assert_array_equal(moved[:2], 0)
  np.testing.assert_array_equal(moved[:, -1:], 0)


def test_cutout_zeroes_exactly_the_clipped_square(images):
  x = images[0] + 1.0                      # no zero pixel to begin with
  out = augment.cutout(x, jnp.array([3, 4]), 4)    # rows 1..4, cols 2..5
  zero = np.asarray(out[..., 0] == 0)
  expected = np.zeros((8, 8), bool)
  expected[1:5, 2:6] = True
  np.testing.assert_array_equal(zero, expected)
  corner = augment.cutout(x, jnp.array([0, 0]), 4)  # clipped: rows/cols 0..1
  assert int(jnp.sum(corner[..., 0] == 0)) == 4


def test_augmentation_is_differentiable_and_keyed_per_example(images):
  key = jax.random.key(1)
  policy = "translation,cutout,brightness,contrast"
  out = augment.diff_augment(key, images, policy)
  assert out.shape == images.shape
  # Examples get different draws; the same key gives the same draws.
  assert not np.allclose(out[0], out[1])
  np.testing.assert_array_equal(augment.diff_augment(key, images, policy), out)
  # A batch split in two with offsets draws exactly as the whole batch.
  halves = [augment.diff_augment(key, images[i:i + 3], policy, offset=i)
            for i in (0, 3)]
  np.testing.assert_allclose(jnp.concatenate(halves), out, rtol=1e-6)
  # Translation and cutout: the gradient of the sum is 1 on every pixel
  # that is still seen, 0 on those moved out or cut.
  geometric = "translation,cutout"
  grad = jax.grad(lambda x: augment.diff_augment(key, x, geometric).sum())(
      images)
  seen = augment.diff_augment(key, images + 1.0, geometric) != 0
  assert int(seen.sum()) == int(grad.sum())
  assert set(np.unique(np.asarray(grad))) <= {0.0, 1.0}
  assert augment.diff_augment(key, images, "") is images


def test_unknown_policy_is_named():
  with pytest.raises(ValueError, match="'rotate'"):
    augment.parse("translation, rotate")
