"""Differentiable augmentation of image batches (DiffAugment).

Zhao et al. (2020), "Differentiable Augmentation for Data-Efficient GAN
Training", arXiv:2006.10738: the discriminator sees real and generated
images through the same random, differentiable transformations, in its own
update and in the generator's, so that on a small training set it cannot
memorise the real images while the generator still receives gradients
through the transformation. Policies (comma-separated, applied in order):

* `translation`: each image shifted by whole pixels, up to `ratio` (1/8)
  of its side in each direction, the uncovered border filled with zeros;
* `cutout`: a square of half the image side, centred anywhere in the image
  (clipped at its border), set to zero;
* `brightness` / `contrast`: a random offset in [-0.5, 0.5), a random
  factor in [0.5, 1.5) about the image mean (the paper's "color" without
  saturation, which needs colour channels);
* `affine`: a small random affine map about the image centre, rotation
  up to ±`AFFINE_DEGREES`, scale in [1 - `AFFINE_SCALE`, 1 +
  `AFFINE_SCALE`] and shear up to ±`AFFINE_SHEAR`, resampled bilinearly
  with zeros outside (the geometric part of the strong augmentation of
  digits in FixMatch-style semi-supervised learning).

Every random draw is keyed per example by its global batch index
(`ops.distributions.per_example_keys`), so a pmap step augments exactly as
the jit step does.
"""

import jax
import jax.numpy as jnp

from unsup_jax.ops import distributions

POLICIES = ("translation", "cutout", "brightness", "contrast", "affine")
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5
AFFINE_DEGREES = 15.0
AFFINE_SCALE = 0.1
AFFINE_SHEAR = 0.15


def parse(policy: str) -> tuple[str, ...]:
  """`"translation,cutout"` -> `("translation", "cutout")`; ValueError
  naming an unknown part."""
  parts = tuple(p.strip() for p in policy.split(",") if p.strip())
  unknown = [p for p in parts if p not in POLICIES]
  if unknown:
    raise ValueError(f"unknown augmentation {unknown[0]!r}; choose from "
                     f"{', '.join(POLICIES)}")
  return parts


def translate(x: jax.Array, shift: jax.Array) -> jax.Array:
  """`[H, W, C]` image moved by `shift` = (dy, dx) whole pixels, zeros
  where nothing moves in."""
  h, w = x.shape[:2]
  pad_h, pad_w = h, w
  padded = jnp.pad(x, ((pad_h, pad_h), (pad_w, pad_w), (0, 0)))
  return jax.lax.dynamic_slice(padded, (pad_h - shift[0], pad_w - shift[1], 0),
                               x.shape)


def cutout(x: jax.Array, centre: jax.Array, size: int) -> jax.Array:
  """`[H, W, C]` image with the `size` x `size` square at `centre` (clipped
  at the border) set to zero."""
  h, w = x.shape[:2]
  top, left = centre[0] - size // 2, centre[1] - size // 2
  rows = (jnp.arange(h) >= top) & (jnp.arange(h) < top + size)
  cols = (jnp.arange(w) >= left) & (jnp.arange(w) < left + size)
  return x * (1.0 - (rows[:, None] & cols[None, :])[..., None].astype(x.dtype))


def affine(x: jax.Array, matrix: jax.Array) -> jax.Array:
  """`[H, W, C]` image resampled through the `[2, 2]` map `matrix` about
  its centre: output pixel p reads the input at centre + matrix^-1 (p -
  centre), bilinearly, zeros outside."""
  h, w = x.shape[:2]
  centre = jnp.array([(h - 1) / 2.0, (w - 1) / 2.0])
  rows, cols = jnp.meshgrid(jnp.arange(h), jnp.arange(w), indexing="ij")
  grid = jnp.stack([rows, cols], -1).reshape(-1, 2) - centre
  source = grid @ jnp.linalg.inv(matrix).T + centre             # [H W, 2]
  sample = lambda channel: jax.scipy.ndimage.map_coordinates(
      channel, [source[:, 0], source[:, 1]], order=1, mode="constant")
  return jax.vmap(sample, in_axes=-1, out_axes=-1)(x).reshape(x.shape)


def random_affine_matrix(key: jax.Array) -> jax.Array:
  """`[2, 2]` rotation x scale x shear, each drawn uniformly within the
  `AFFINE_*` limits."""
  k_rot, k_scale, k_shear = jax.random.split(key, 3)
  angle = jnp.deg2rad(AFFINE_DEGREES) * jax.random.uniform(
      k_rot, (), minval=-1, maxval=1)
  scale = 1.0 + AFFINE_SCALE * jax.random.uniform(k_scale, (), minval=-1,
                                                  maxval=1)
  shear = AFFINE_SHEAR * jax.random.uniform(k_shear, (), minval=-1, maxval=1)
  c, s = jnp.cos(angle), jnp.sin(angle)
  return (jnp.array([[c, -s], [s, c]]) @ jnp.array([[1.0, shear], [0.0, 1.0]])
          * scale)


def _one(key, x, parts):
  h, w = x.shape[:2]
  for i, part in enumerate(parts):
    k = jax.random.fold_in(key, i)
    if part == "translation":
      sy, sx = int(h * TRANSLATION_RATIO + 0.5), int(w * TRANSLATION_RATIO + 0.5)
      shift = jax.random.randint(k, (2,), jnp.array([-sy, -sx]),
                                 jnp.array([sy + 1, sx + 1]))
      x = translate(x, shift)
    elif part == "cutout":
      centre = jax.random.randint(k, (2,), 0, jnp.array([h, w]))
      x = cutout(x, centre, int(h * CUTOUT_RATIO + 0.5))
    elif part == "brightness":
      x = x + (jax.random.uniform(k, ()) - 0.5)
    elif part == "contrast":
      mean = jnp.mean(x)
      x = (x - mean) * (jax.random.uniform(k, ()) + 0.5) + mean
    elif part == "affine":
      x = affine(x, random_affine_matrix(k))
  return x


def diff_augment(key: jax.Array, images: jax.Array, policy: str,
                 offset: jax.Array | int = 0) -> jax.Array:
  """`[B, H, W, C]` images through `policy` ("" = unchanged), each with
  its own draws, keyed by `offset` + its index in the batch."""
  parts = parse(policy)
  if not parts:
    return images
  keys = distributions.per_example_keys(key, images.shape[0], offset)
  return jax.vmap(lambda k, x: _one(k, x, parts))(keys, images)
