"""Tests for unsup_jax.ops.masks: shapes, exact regions, rates, keys."""

import chex
import jax
import numpy as np
import pytest

from unsup_jax.errors import UserError
from unsup_jax.ops import masks

_KEY = jax.random.key(0)


def _is_binary(mask):
  mask = np.asarray(mask)
  return np.all((mask == 0) | (mask == 1))


@pytest.mark.parametrize("shape,size,top,left", [
    ((3, 28, 28, 1), 12, 8, 8),
    ((2, 7, 9), 2, 2, 3),        # odd margins round up-left; shape without C
    ((1, 8, 8, 3), 8, 0, 0),     # the whole image
])
def test_centre_square_is_exactly_the_centre(shape, size, top, left):
  mask = np.asarray(masks.centre_square(shape, size=size))
  chex.assert_shape(mask, shape[:3] + (1,))
  expected = np.zeros(shape[1:3])
  expected[top:top + size, left:left + size] = 1
  for m in mask:
    np.testing.assert_array_equal(m[..., 0], expected)


def test_random_squares_are_unions_of_squares_inside_the_image():
  mask = np.asarray(masks.random_squares(_KEY, (50, 10, 12, 1), size=3,
                                         count=1))
  chex.assert_shape(mask, (50, 10, 12, 1))
  assert _is_binary(mask)
  for m in mask[..., 0]:
    rows, cols = np.nonzero(m)
    assert len(rows) == 9
    assert rows.max() - rows.min() == 2 and cols.max() - cols.min() == 2
  corners = {(np.nonzero(m)[0].min(), np.nonzero(m)[1].min())
             for m in mask[..., 0]}
  assert len(corners) > 20                     # positions vary
  assert {c[0] for c in corners} <= set(range(8))
  assert {c[1] for c in corners} <= set(range(10))
  several = np.asarray(masks.random_squares(_KEY, (50, 10, 12), size=3,
                                            count=3)).sum(axis=(1, 2, 3))
  assert np.all((several >= 9) & (several <= 27)) and several.max() > 9


def test_random_pixels_fraction_and_binary():
  mask = masks.random_pixels(_KEY, (64, 28, 28, 1), fraction=0.3)
  chex.assert_shape(mask, (64, 28, 28, 1))
  assert _is_binary(mask)
  # 50,176 Bernoulli(0.3) pixels: standard deviation of the mean is 0.002.
  assert abs(float(np.mean(mask)) - 0.3) < 0.01
  assert float(np.mean(masks.random_pixels(_KEY, (2, 4, 4), fraction=0.0))) == 0
  assert float(np.mean(masks.random_pixels(_KEY, (2, 4, 4), fraction=1.0))) == 1


@pytest.mark.parametrize("kind", ["squares", "pixels"])
def test_random_masks_keys_examples_and_offsets(kind):
  shape = (8, 12, 12, 1)
  a = np.asarray(masks.make_mask(_KEY, shape, kind=kind, size=4, count=2))
  np.testing.assert_array_equal(
      a, masks.make_mask(_KEY, shape, kind=kind, size=4, count=2))
  assert not np.array_equal(a, masks.make_mask(
      jax.random.key(1), shape, kind=kind, size=4, count=2))
  assert len({m.tobytes() for m in a}) == len(a)   # examples differ
  # The last 5 examples drawn alone, with their global offset, are the same.
  tail = masks.make_mask(_KEY, (5, 12, 12, 1), kind=kind, size=4, count=2,
                         offset=3)
  np.testing.assert_array_equal(a[3:], tail)


def test_make_mask_dispatches():
  shape = (4, 8, 8, 1)
  np.testing.assert_array_equal(
      masks.make_mask(_KEY, shape, kind="centre", size=4),
      masks.centre_square(shape, size=4))
  np.testing.assert_array_equal(
      masks.make_mask(_KEY, shape, kind="pixels", fraction=0.2),
      masks.random_pixels(_KEY, shape, fraction=0.2))
  with pytest.raises(UserError, match="unknown"):
    masks.make_mask(_KEY, shape, kind="circle")
  with pytest.raises(UserError, match="size"):
    masks.centre_square(shape, size=9)
  with pytest.raises(UserError, match="count"):
    masks.random_squares(_KEY, shape, size=2, count=0)
  with pytest.raises(UserError, match="fraction"):
    masks.random_pixels(_KEY, shape, fraction=1.5)


def test_masked_mse_and_composite_against_numpy():
  rng = np.random.default_rng(0)
  x, y = rng.random((3, 5, 4, 2)), rng.random((3, 5, 4, 2))
  mask = (rng.random((3, 5, 4, 1)) < 0.4).astype(np.float64)
  mask[2] = 0                                       # an empty hole
  got = np.asarray(masks.masked_mse(x.astype(np.float32), y.astype(np.float32),
                                    mask.astype(np.float32)))
  for b in range(2):
    hole = mask[b, ..., 0] == 1
    np.testing.assert_allclose(got[b], np.mean((x[b][hole] - y[b][hole])**2),
                               rtol=1e-5)
  assert got[2] == 0
  mixed = np.asarray(masks.composite(x, y, mask))
  np.testing.assert_array_equal(mixed, np.where(mask == 1, y, x))
