"""The losses of GAN-prior inpainting: contextual weights by brute force,
the weighted L1, the perceptual loss."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.losses import inpainting
from unsup_jax.ops import masks


def _brute_weights(mask, window):
  b, h, w, _ = mask.shape
  r = window // 2
  out = np.zeros_like(mask)
  for n in range(b):
    for i in range(h):
      for j in range(w):
        if mask[n, i, j, 0]:
          continue
        block = mask[n, max(0, i - r):i + r + 1, max(0, j - r):j + r + 1, 0]
        out[n, i, j, 0] = block.sum() / window ** 2
  return out


@pytest.mark.parametrize("window", [1, 3, 7])
def test_contextual_weights_count_hole_neighbours_of_known_pixels(window):
  mask = np.asarray(masks.random_squares(jax.random.key(0), (3, 12, 12),
                                         size=4, count=2))
  got = np.asarray(inpainting.contextual_weights(jnp.asarray(mask), window))
  np.testing.assert_allclose(got, _brute_weights(mask, window), atol=1e-6)
  assert np.all(got[mask == 1] == 0)
  if window == 1:
    assert np.all(got == 0)        # a pixel's own window is itself


def test_even_window_is_refused():
  with pytest.raises(ValueError, match="odd"):
    inpainting.contextual_weights(jnp.zeros((1, 4, 4, 1)), 4)


def test_contextual_and_perceptual_losses():
  x = jnp.zeros((2, 3, 3, 1))
  g = x.at[0, 1, 1, 0].set(0.5).at[1].set(-1.0)
  w = jnp.full((2, 3, 3, 1), 0.25)
  np.testing.assert_allclose(inpainting.contextual_loss(g, x, w),
                             [0.125, 9 * 0.25])
  logits = jnp.asarray([0.0, 30.0, -30.0])
  np.testing.assert_allclose(inpainting.perceptual_loss(logits),
                             [np.log(2.0), 0.0, 30.0], atol=1e-6)
