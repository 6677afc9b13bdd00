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


def test_affine_identity_and_half_turn_are_exact(images):
  x = images[0]
  np.testing.assert_allclose(augment.affine(x, jnp.eye(2)), x, atol=1e-6)
  np.testing.assert_allclose(augment.affine(x, -jnp.eye(2)), x[::-1, ::-1],
                             atol=1e-6)
  # A quarter turn: output pixel (r, c) reads input pixel (c, W - 1 - r).
  quarter = jnp.array([[0.0, -1.0], [1.0, 0.0]])
  np.testing.assert_allclose(augment.affine(x, quarter),
                             np.rot90(np.asarray(x), k=1), atol=1e-6)


def test_random_affine_stays_within_its_limits():
  for i in range(50):
    m = np.asarray(augment.random_affine_matrix(jax.random.key(i)),
                   np.float64)
    det = np.linalg.det(m)          # rotation and shear keep the area
    lo, hi = (1 - augment.AFFINE_SCALE) ** 2, (1 + augment.AFFINE_SCALE) ** 2
    assert lo - 1e-6 <= det <= hi + 1e-6
    scale = np.sqrt(det)
    rotation_and_shear = m / scale
    angle = np.degrees(np.arctan2(rotation_and_shear[1, 0],
                                  rotation_and_shear[0, 0]))
    assert abs(angle) <= augment.AFFINE_DEGREES + 1e-4


def test_digit_augmentations_keep_the_digit_inside_the_frame():
  """A translation of up to 1/8 of the side (4 px at 28) and the small
  affine maps keep the ink of 200 mnist5k digits in the frame: at least
  90% of every digit's and 99% on average (a few digits reach within a
  pixel of the border), the affine's ink scaled by the map's area
  change."""
  from unsup_jax.data import sources  # pylint: disable=g-import-not-at-top
  from unsup_jax.ops import distributions  # pylint: disable=g-import-not-at-top
  x = jnp.asarray(sources.load("mnist5k").split("train")["image"][:200])
  ink = np.asarray(x.sum(axis=(1, 2, 3)))
  key = jax.random.key(7)
  moved = augment.diff_augment(key, x, "translation")
  kept = np.asarray(moved.sum(axis=(1, 2, 3))) / ink
  assert kept.min() > 0.9 and kept.mean() > 0.99, kept.min()
  mapped = augment.diff_augment(key, x, "affine")
  keys = distributions.per_example_keys(key, len(x), 0)
  det = np.array([np.linalg.det(np.asarray(augment.random_affine_matrix(
      jax.random.fold_in(k, 0)))) for k in keys])
  kept = np.asarray(mapped.sum(axis=(1, 2, 3))) / (det * ink)
  assert kept.min() > 0.9 and abs(kept.mean() - 1) < 0.01, kept.min()
  # Pure in its key.
  np.testing.assert_array_equal(mapped,
                                augment.diff_augment(key, x, "affine"))
