"""Binary masks for image inpainting, and the masked reconstruction error.

The corruptions of the context encoder (Pathak et al. 2016, "Context
Encoders: Feature Learning by Inpainting", arXiv:1604.07379, Section 3.3): a
central square region, several random square blocks, or random pixels.

Convention: a mask is a `[B, H, W, 1]` float array with 1 where the pixel is
missing (the hole) and 0 where it is known; it broadcasts over channels.
Random masks draw each example from its own key `fold_in(key, offset + i)`
(`ops.distributions.per_example_keys`), so a batch split over devices, each
passing the global index of its first example as `offset`, gets exactly the
masks a single device would draw for the whole batch.
"""

from typing import Sequence

import jax
import jax.numpy as jnp

from unsup_jax.errors import UserError
from unsup_jax.ops import distributions

KINDS = ("centre", "squares", "pixels")


def _bhw(shape: Sequence[int]) -> tuple[int, int, int]:
  """(B, H, W) of an image shape `(B, H, W)` or `(B, H, W, C)`."""
  if len(shape) not in (3, 4):
    raise ValueError(f"expected an image shape (B, H, W[, C]), got {shape}")
  return int(shape[0]), int(shape[1]), int(shape[2])


def _check_size(size: int, h: int, w: int) -> None:
  if isinstance(size, bool) or not isinstance(size, int) or not (
      0 < size <= min(h, w)):
    raise UserError(f"mask size must be an integer in [1, {min(h, w)}] for "
                    f"{h}x{w} images, got {size!r}")


def _square(top: jax.Array, left: jax.Array, size: int, h: int,
            w: int) -> jax.Array:
  """`[H, W]` float indicator of the square with corner (top, left)."""
  rows = jnp.arange(h)
  cols = jnp.arange(w)
  in_rows = (rows >= top) & (rows < top + size)
  in_cols = (cols >= left) & (cols < left + size)
  return (in_rows[:, None] & in_cols[None, :]).astype(jnp.float32)


def centre_square(shape: Sequence[int], *, size: int) -> jax.Array:
  """The central `size` x `size` square of every image.

  Args:
    shape: image shape `(B, H, W[, C])`.
    size: side of the square in pixels, 1 <= size <= min(H, W). With an odd
      margin the square sits half a pixel up and left of the centre.

  Returns:
    `[B, H, W, 1]` mask, 1 inside the square.
  """
  b, h, w = _bhw(shape)
  _check_size(size, h, w)
  square = _square((h - size) // 2, (w - size) // 2, size, h, w)
  return jnp.broadcast_to(square[None, :, :, None], (b, h, w, 1))


def random_squares(key: jax.Array, shape: Sequence[int], *, size: int,
                   count: int, offset: jax.Array | int = 0) -> jax.Array:
  """The union of `count` squares placed uniformly inside each image.

  Args:
    key: PRNG key of the batch.
    shape: image shape `(B, H, W[, C])`.
    size: side of each square, 1 <= size <= min(H, W).
    count: squares per image (they may overlap), >= 1.
    offset: global index of the first example (see the module docstring).

  Returns:
    `[B, H, W, 1]` mask.
  """
  b, h, w = _bhw(shape)
  _check_size(size, h, w)
  if isinstance(count, bool) or not isinstance(count, int) or count < 1:
    raise UserError(f"mask count must be a positive integer, got {count!r}")

  def one(k):
    corners = jax.random.randint(k, (count, 2), 0,
                                 jnp.array([h - size + 1, w - size + 1]))
    squares = jax.vmap(lambda c: _square(c[0], c[1], size, h, w))(corners)
    return jnp.max(squares, axis=0)

  keys = distributions.per_example_keys(key, b, offset)
  return jax.vmap(one)(keys)[..., None]


def random_pixels(key: jax.Array, shape: Sequence[int], *, fraction: float,
                  offset: jax.Array | int = 0) -> jax.Array:
  """Each pixel missing independently with probability `fraction`.

  Args:
    key: PRNG key of the batch.
    shape: image shape `(B, H, W[, C])`.
    fraction: probability that a pixel is in the hole, in [0, 1].
    offset: global index of the first example (see the module docstring).

  Returns:
    `[B, H, W, 1]` mask.
  """
  b, h, w = _bhw(shape)
  if isinstance(fraction, bool) or not 0.0 <= fraction <= 1.0:
    raise UserError(f"mask fraction must be in [0, 1], got {fraction!r}")
  keys = distributions.per_example_keys(key, b, offset)
  one = lambda k: jax.random.bernoulli(k, fraction, (h, w, 1))
  return jax.vmap(one)(keys).astype(jnp.float32)


def make_mask(key: jax.Array, shape: Sequence[int], *, kind: str,
              size: int = 12, count: int = 2, fraction: float = 0.5,
              offset: jax.Array | int = 0) -> jax.Array:
  """The mask of `kind` ("centre", "squares" or "pixels").

  Args:
    key: PRNG key of the batch (unused by "centre").
    shape: image shape `(B, H, W[, C])`.
    kind: which corruption.
    size: square side ("centre", "squares").
    count: squares per image ("squares").
    fraction: missing-pixel probability ("pixels").
    offset: global index of the first example.

  Returns:
    `[B, H, W, 1]` mask, 1 = missing.
  """
  if kind == "centre":
    return centre_square(shape, size=size)
  if kind == "squares":
    return random_squares(key, shape, size=size, count=count, offset=offset)
  if kind == "pixels":
    return random_pixels(key, shape, fraction=fraction, offset=offset)
  raise UserError(f"mask kind {kind!r} is unknown; choose one of "
                  f"{', '.join(KINDS)}")


def composite(known: jax.Array, filled: jax.Array,
              mask: jax.Array) -> jax.Array:
  """Known pixels from `known`, hole pixels from `filled`; `[B, H, W, C]`."""
  return known * (1.0 - mask) + filled * mask


def masked_mse(x: jax.Array, x_hat: jax.Array, mask: jax.Array) -> jax.Array:
  """Per-example mean squared error over the pixels where `mask` is 1.

  Args:
    x: `[B, H, W, C]` targets.
    x_hat: `[B, H, W, C]` predictions.
    mask: `[B, H, W, 1]` weights (0/1); pass `1 - mask` for the known part.

  Returns:
    `[B]` sum of mask * (x - x_hat)^2 over pixels and channels, divided by
    the number of masked values (mask sum times C); 0 for an empty mask.
  """
  se = jnp.sum(mask * jnp.square(x - x_hat), axis=(1, 2, 3))
  count = jnp.sum(mask, axis=(1, 2, 3)) * x.shape[-1]
  return se / jnp.maximum(count, 1.0)
