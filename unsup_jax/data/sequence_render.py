"""Rendering and dynamics of the procedural sequence datasets.

The frames of `data/sequences.py` are functions of their hidden states:
`render_moving_digits` shifts mnist5k digits circularly (the moving-MNIST
setting of Gregor et al., "Temporal Difference Variational Auto-Encoder",
ICLR 2019); `simulate_balls` moves balls in a box with elastic reflection
at the walls and `render_balls` draws them anti-aliased (after the bouncing
balls of Sutskever, Hinton and Taylor, "The Recurrent Temporal Restricted
Boltzmann Machine", NIPS 21, 2009). All vectorised numpy; the ball renderer
works in chunks so that its temporaries stay small.
"""

import numpy as np

NUM_BALLS = 3
BALL_RADIUS = 2.5          # pixels
BOX_SIZE = 24              # pixels per side
# Float64 elements of the one large temporary of `render_balls` (32 MiB).
RENDER_CHUNK = 1 << 22


def render_moving_digits(images: np.ndarray, source: np.ndarray,
                         offset: np.ndarray) -> np.ndarray:
  """Digits shifted circularly along the width, by index arrays.

  Frame (n, t) is `images[source[n]]` shifted right by `offset[n, t]`
  pixels with wrap-around: its pixel (i, j) is
  `images[source[n], i, (j - offset[n, t]) mod W]`.

  Args:
    images: `[M, H, W, C]` digits.
    source: `[N]` integer rows of `images`.
    offset: `[N, T]` integer shifts (any integers; taken mod W).

  Returns:
    `[N, T, H, W, C]` float32 frames.
  """
  images = np.asarray(images)
  source = np.asarray(source)
  offset = np.asarray(offset)
  _, height, width, _ = images.shape
  cols = (np.arange(width) - offset[..., None]) % width      # [N, T, W]
  rows = np.arange(height)[:, None]                          # [H, 1]
  frames = images[source[:, None, None, None], rows, cols[:, :, None, :]]
  return frames.astype(np.float32, copy=False)


def simulate_balls(position: np.ndarray, velocity: np.ndarray, length: int,
                   radius: float = BALL_RADIUS,
                   size: float = BOX_SIZE) -> np.ndarray:
  """Balls moving at constant velocity, reflecting elastically off walls.

  Each step adds the velocity to the position; a coordinate that passes a
  wall is mirrored back across it and its velocity component changes sign
  (x < r: x = 2r - x, vx = -vx; x > size - r: x = 2 (size - r) - x,
  vx = -vx; likewise for y). Balls do not collide with each other.

  Args:
    position: `[..., K, 2]` starting (x, y), within [r, size - r].
    velocity: `[..., K, 2]` (vx, vy) per step; each component must be
      smaller than size - 2r, so that one reflection per step suffices.
    length: number of steps T, the starting state included.
    radius: the balls' radius r.
    size: the side of the box.

  Returns:
    `[..., T, K, 4]` float64 (x, y, vx, vy); the velocity at step t is the
    one after that step's reflections (the next step's displacement).
  """
  p = np.array(position, np.float64)
  v = np.array(velocity, np.float64)
  low, high = radius, size - radius
  if np.any(np.abs(v) >= high - low):
    raise ValueError(f"speeds must stay below {high - low} per step")
  states = np.empty(p.shape[:-2] + (length,) + p.shape[-2:-1] + (4,))
  for t in range(length):
    if t:
      p = p + v
      for wall, side in ((low, p < low), (high, p > high)):
        p = np.where(side, 2 * wall - p, p)
        v = np.where(side, -v, v)
    states[..., t, :, :2] = p
    states[..., t, :, 2:] = v
  return states


def render_balls(positions: np.ndarray, radius: float = BALL_RADIUS,
                 size: int = BOX_SIZE) -> np.ndarray:
  """Anti-aliased white balls on black.

  Pixel (i, j) has its centre at (x, y) = (j + 0.5, i + 0.5); a ball at
  distance d from it lights it with clip(r + 0.5 - d, 0, 1), and a frame
  is the maximum over its balls. Computed in float64, `RENDER_CHUNK`
  elements at a time (each frame on its own: the chunking does not change
  the result).

  Args:
    positions: `[..., K, 2]` ball centres (x, y) in pixels.
    radius: the balls' radius r.
    size: the frame's side.

  Returns:
    `[..., size, size, 1]` float32 frames in [0, 1].
  """
  positions = np.asarray(positions)
  lead, balls = positions.shape[:-2], positions.shape[-2]
  flat = positions.reshape(-1, balls, 2).astype(np.float64)
  out = np.empty((len(flat), size, size), np.float32)
  centres = np.arange(size) + 0.5
  step = max(1, RENDER_CHUNK // (balls * size * size))
  for start in range(0, len(flat), step):
    chunk = flat[start:start + step]
    dx2 = np.square(centres - chunk[..., 0:1])          # [F, K, W]
    dy2 = np.square(centres - chunk[..., 1:2])          # [F, K, H]
    light = dy2[..., :, None] + dx2[..., None, :]       # [F, K, H, W]
    np.sqrt(light, out=light)
    np.subtract(radius + 0.5, light, out=light)
    np.clip(light, 0.0, 1.0, out=light)
    out[start:start + step] = light.max(axis=1)
  return out.reshape(lead + (size, size, 1))
