"""Procedural sprite images with ground-truth factors of variation.

Two factor datasets rendered by the project, offline:

* `dsprites_procedural`: one white shape on black, 64x64x1, on the factor
  grid of dSprites (Matthey et al. 2017, github.com/deepmind/dsprites-
  dataset): shape 3 (square, ellipse, heart), scale 6 (0.5 to 1), orientation
  40, x 32, y 32 (737,280 combinations).
* `colour_sprites`: one coloured shape on a coloured background, 32x32x3:
  object hue 8, background hue 4, shape 3, scale 4, x 8, y 8 (24,576
  combinations), so that results are not about one dataset.

How `dsprites_procedural` differs from the dSprites file: the shapes are
drawn here from implicit equations (a square, a 2:1 ellipse, the heart
curve (x^2 + y^2 - 1)^3 = x^2 y^3), not from the original's bitmaps, so
sizes and outlines differ by a pixel or two; the 40 orientations are
k * 2 pi / 40 (the original's linspace(0, 2 pi, 40) repeats 0 as 2 pi);
positions run over the central 60% of the image. As in the original, the
images are binary and the square's and ellipse's symmetries make some
orientations look alike (a 90-degree turn of the square is the same image).
`colour_sprites` is anti-aliased (2x2 supersampling).

Rendering is vectorised numpy, in chunks of `CHUNK` examples (about 6,000
64x64 images a second on one core), so metrics render fresh examples on
demand (`data/factors.py`) instead of holding the whole grid.
"""

import numpy as np

SHAPES = ("square", "ellipse", "heart")
# Half-extent of a shape at scale 1, and the margin of the centres, as
# fractions of the image side.
_RADIUS = 0.18
_MARGIN = 0.2


def _inside(shape, u, v):
  """Whether rotated, scaled coordinates (u, v) `[N, H, W]` lie in each
  example's shape (`shape` `[N]`); each test only on its own examples."""
  out = np.zeros(u.shape, bool)
  for s in np.unique(shape):
    rows = np.flatnonzero(shape == s)
    uu, vv = u[rows], v[rows]
    if s == 0:
      out[rows] = np.maximum(np.abs(uu), np.abs(vv)) <= 0.75
    elif s == 1:
      out[rows] = uu * uu + 4.0 * vv * vv <= 1.0
    else:
      x, y = 0.9 * uu, -0.9 * vv + 0.15
      x2 = x * x
      t = x2 + y * y - 1.0
      out[rows] = t * t * t - x2 * (y * y * y) <= 0.0
  return out


# Examples rendered at once: the float64 temporaries of a chunk stay small
# (8 MiB at 64x64), which renders several times faster than one pass over
# thousands of images.
CHUNK = 256


def coverage(shape, scale, angle, x, y, *, size: int,
             supersample: int = 1) -> np.ndarray:
  """`[N, size, size]` float32 in [0, 1]: the fraction of each pixel inside
  the shape. All arguments `[N]`: shape index, scale (1 = largest), angle
  in radians, centre x and y in [0, 1] (left/top to right/bottom)."""
  args = [np.atleast_1d(np.asarray(a)) for a in (shape, scale, angle, x, y)]
  n = len(args[0])
  out = np.empty((n, size, size), np.float32)
  for start in range(0, n, CHUNK):
    out[start:start + CHUNK] = _coverage(
        *(a[start:start + CHUNK] for a in args), size=size,
        supersample=supersample)
  return out


def _coverage(shape, scale, angle, x, y, *, size: int, supersample: int):
  """`coverage` of one chunk."""
  n, s = len(shape), supersample
  ticks = (np.arange(size * s) + 0.5) / (size * s)
  cx = _MARGIN + np.asarray(x, np.float64) * (1 - 2 * _MARGIN)
  cy = _MARGIN + np.asarray(y, np.float64) * (1 - 2 * _MARGIN)
  dx = ticks[None, None, :] - cx[:, None, None]
  dy = ticks[None, :, None] - cy[:, None, None]
  r = (_RADIUS * np.asarray(scale, np.float64))[:, None, None]
  c = np.cos(angle)[:, None, None]
  sn = np.sin(angle)[:, None, None]
  u, v = (c * dx + sn * dy) / r, (-sn * dx + c * dy) / r
  inside = _inside(shape, u, v).astype(np.float32)
  return inside.reshape(n, size, s, size, s).mean(axis=(2, 4))


def hue_to_rgb(hue, saturation: float, value: float) -> np.ndarray:
  """`[N]` hues in [0, 1) -> `[N, 3]` RGB in [0, 1] (HSV to RGB)."""
  h = (np.asarray(hue, np.float64) % 1.0) * 6.0
  k = (np.array([5.0, 3.0, 1.0])[None, :] + h[:, None]) % 6.0
  return value - value * saturation * np.clip(np.minimum(k, 4.0 - k), 0, 1)


# name -> (factor names, factor sizes)
DSPRITES = (("shape", "scale", "orientation", "x", "y"), (3, 6, 40, 32, 32))
COLOUR = (("object_hue", "background_hue", "shape", "scale", "x", "y"),
          (8, 4, 3, 4, 8, 8))


def render_dsprites(factors: np.ndarray) -> np.ndarray:
  """`[N, 5]` integer factors (shape, scale, orientation, x, y) ->
  `[N, 64, 64, 1]` float32 binary images."""
  f = np.asarray(factors)
  scale = 0.5 + 0.1 * f[:, 1]
  angle = 2 * np.pi * f[:, 2] / DSPRITES[1][2]
  x, y = f[:, 3] / (DSPRITES[1][3] - 1), f[:, 4] / (DSPRITES[1][4] - 1)
  return coverage(f[:, 0], scale, angle, x, y, size=64)[..., None]


def render_colour(factors: np.ndarray) -> np.ndarray:
  """`[N, 6]` integer factors (object hue, background hue, shape, scale, x,
  y) -> `[N, 32, 32, 3]` float32 images in [0, 1]."""
  f = np.asarray(factors)
  sizes = COLOUR[1]
  obj = hue_to_rgb(f[:, 0] / sizes[0], 0.85, 1.0)
  back = hue_to_rgb(f[:, 1] / sizes[1] + 0.5 / sizes[1], 0.6, 0.35)
  scale = 0.55 + 0.15 * f[:, 3]
  alpha = coverage(f[:, 2], scale, np.zeros(len(f)), f[:, 4] / (sizes[4] - 1),
                   f[:, 5] / (sizes[5] - 1), size=32, supersample=2)[..., None]
  image = alpha * obj[:, None, None, :] + (1 - alpha) * back[:, None, None, :]
  return image.astype(np.float32)
