"""The digit sequence sets of `data/sequences.py`: mnist5k digits moving
along the width with wrap-around (the moving-MNIST experiment of Gregor et
al., "Temporal Difference Variational Auto-Encoder", ICLR 2019), at a fixed
direction (`moving_digits`) or reversing at random moments
(`switching_digits`, an uncertain future whose displacement distribution
`switching_displacement` gives exactly). Frames are rendered from the
states by `data/sequence_render.py`.
"""

import numpy as np

from unsup_jax.data.sequence_render import render_moving_digits
from unsup_jax.errors import UserError

DIGIT_LENGTH = 20          # frames per moving-digit sequence
SWITCH_PROB = 0.2          # switching digits: reversals per step


def check_size(what: str, value) -> int:
  if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
      or value <= 0):
    raise UserError(f"{what} must be a positive integer, got {value!r}")
  return int(value)


# -------------------------------------------------------- moving digits --

def make_moving_digits(images: np.ndarray, labels: np.ndarray, num: int,
                       seed: int, length: int = DIGIT_LENGTH) -> dict:
  """Sequences of one digit moving by a pixel per step, with wrap-around.

  Each sequence takes a digit (the rows of `images` in an order permuted by
  the seed, cycled when `num` exceeds their number), a direction (+1 right
  or -1 left, even odds) and a start offset uniform in [0, W); frame t is
  the digit shifted circularly right by
  `offset_t = (start + direction * t) mod W`.

  Args:
    images: `[M, H, W, C]` source digits (mnist5k: `[M, 28, 28, 1]`).
    labels: `[M]` their classes.
    num: number of sequences.
    seed: the seed of `np.random.default_rng`.
    length: frames per sequence, T.

  Returns:
    `frames` `[num, T, H, W, C]` float32, `label` `[num]` int32 (the
    digit's class), `direction` `[num]` int32, `offset` `[num, T]` int32 in
    [0, W) and `source` `[num]` int32 (the digit's row in `images`).
  """
  num, length = check_size("num", num), check_size("length", length)
  images, labels = check_digits(images, labels)
  width = images.shape[2]
  rng = np.random.default_rng(seed)
  source = np.resize(rng.permutation(len(images)), num)
  u = rng.random((num, 2))          # one call: a prefix is independent of num
  direction = np.where(u[:, 0] < 0.5, 1, -1)
  start = np.minimum((u[:, 1] * width).astype(np.int64), width - 1)
  offset = (start[:, None] + direction[:, None] * np.arange(length)) % width
  return _rendered(images, labels, source, offset, direction=direction)


def _rendered(images, labels, source, offset, **states) -> dict:
  """The frames of `source` digits at `offset`, their labels, and the
  states (int32)."""
  states = dict(states, offset=offset, source=source,
                label=labels[source])
  return {"frames": render_moving_digits(images, source, offset),
          **{k: np.asarray(v).astype(np.int32) for k, v in states.items()}}


def check_digits(images, labels):
  images, labels = np.asarray(images), np.asarray(labels)
  if images.ndim != 4 or len(labels) != len(images) or not len(images):
    raise ValueError(f"expected images [M, H, W, C] and labels [M], got "
                     f"{images.shape} and {labels.shape}")
  return images, labels


def make_switching_digits(images: np.ndarray, labels: np.ndarray, num: int,
                          seed: int, switch_prob: float = SWITCH_PROB,
                          length: int = DIGIT_LENGTH) -> dict:
  """Moving digits that reverse at random moments.

  As `make_moving_digits` (a digit per sequence, a start offset uniform in
  [0, W), an initial direction +1 or -1 at even odds), but before each
  move the direction flips with probability `switch_prob`, independently
  at every step: `directions_t = -directions_{t-1}` with that probability,
  `offset_t = (offset_{t-1} + directions_t) mod W`.

  Args:
    images: `[M, H, W, C]` source digits.
    labels: `[M]` their classes.
    num: number of sequences.
    seed: the seed of `np.random.default_rng`.
    switch_prob: probability of a reversal per step, in [0, 1].
    length: frames per sequence, T.

  Returns:
    `frames` `[num, T, H, W, C]` float32, `label` `[num]` int32,
    `directions` `[num, T]` int32 (the move into frame t; at t = 0 the
    initial direction), `offset` `[num, T]` int32 in [0, W) and `source`
    `[num]` int32.
  """
  num, length = check_size("num", num), check_size("length", length)
  if not 0.0 <= switch_prob <= 1.0:
    raise UserError(f"switch_prob must be in [0, 1], got {switch_prob!r}")
  images, labels = check_digits(images, labels)
  width = images.shape[2]
  rng = np.random.default_rng(seed)
  source = np.resize(rng.permutation(len(images)), num)
  u = rng.random((num, length + 1))   # one call: prefixes independent of num
  first = np.where(u[:, 0] < 0.5, 1, -1)
  start = np.minimum((u[:, 1] * width).astype(np.int64), width - 1)
  flips = np.cumsum(u[:, 2:] < switch_prob, axis=1)         # [num, T - 1]
  directions = np.concatenate(
      [first[:, None], first[:, None] * (1 - 2 * (flips % 2))], axis=1)
  offset = np.concatenate(
      [start[:, None], start[:, None] + np.cumsum(directions[:, 1:], 1)],
      axis=1) % width
  return _rendered(images, labels, source, offset, directions=directions)


def switching_displacement(switch_prob: float, jump: int) -> np.ndarray:
  """The exact distribution of a switching digit's displacement `jump`
  steps ahead, relative to its current direction: `[2 * jump + 1]`
  probabilities of displacements -jump .. jump (times the direction of the
  last move), by dynamic programming over (direction, displacement)."""
  size = 2 * jump + 1
  p = np.zeros((2, size))          # [same / reversed direction, displacement]
  p[0, jump] = 1.0
  for _ in range(jump):
    q = np.zeros_like(p)
    for now, sign in ((0, 1), (1, -1)):
      for nxt, nxt_sign in ((0, 1), (1, -1)):
        stay = (1 - switch_prob) if nxt == now else switch_prob
        q[nxt] += stay * np.roll(p[now], nxt_sign)
    p = q
  return p.sum(0)
