"""Measures of predicted frame sequences: where a wrapped object is, which
way it moves, and errors per prediction horizon.

Horizontally wrapping frames (the moving digits of `data/sequences.py`)
have no edge, so an object's column is its circular centre of mass: the
angle of sum_c m_c exp(2 pi i c / W) over the columns' masses m_c (Fisher
1993, "Statistical Analysis of Circular Data"). MNIST digits are centred
by their centre of mass, so rolling a frame until its circular centre sits
at column W / 2 recovers an upright digit that a classifier trained
on centred digits can read, wherever the prediction put it.
"""

import numpy as np


def circular_centre(frames: np.ndarray) -> np.ndarray:
  """Column of the circular centre of mass of `[..., H, W, C]` frames, in
  [0, W); NaN for an empty frame."""
  frames = np.asarray(frames, np.float64)
  return column_centre(frames.sum(axis=(-3, -1)))


def column_centre(mass: np.ndarray) -> np.ndarray:
  """The circular centre of column masses `[..., W]` (`circular_centre`
  of frames whose columns weigh `mass`), in [0, W); NaN for no mass."""
  mass = np.asarray(mass, np.float64)
  width = mass.shape[-1]
  angle = 2 * np.pi * np.arange(width) / width
  s, c = mass @ np.sin(angle), mass @ np.cos(angle)
  centre = np.mod(np.arctan2(s, c), 2 * np.pi) * width / (2 * np.pi)
  return np.where(mass.sum(-1) > 0, centre, np.nan)


def centre_columns(frames: np.ndarray) -> np.ndarray:
  """`[N, H, W, C]` frames rolled along W so that each one's circular
  centre of mass is at column W / 2 (where MNIST puts its digits' centre
  of mass: 14.0 +- 0.3 on mnist5k), to the nearest pixel."""
  frames = np.asarray(frames)
  width = frames.shape[2]
  middle = width / 2
  centre = np.nan_to_num(circular_centre(frames), nan=middle)
  shift = np.rint(middle - centre).astype(int)
  cols = np.mod(np.arange(width)[None, :] - shift[:, None], width)
  return np.take_along_axis(frames, cols[:, None, :, None], axis=2)


def displacement(frames: np.ndarray) -> np.ndarray:
  """Column displacement of consecutive frames `[..., K, H, W, C]` ->
  `[..., K - 1]`, wrapped into [-W/2, W/2)."""
  return wrapped(np.diff(circular_centre(frames), axis=-1),
                 frames.shape[-2])


def direction(frames: np.ndarray) -> np.ndarray:
  """+1 or -1: the sign of the mean displacement of `[..., K, H, W, C]`
  (K >= 2); 0 where it is zero or undefined."""
  return np.sign(np.nan_to_num(np.mean(displacement(frames), axis=-1)))


def wrapped(delta: np.ndarray, width: int) -> np.ndarray:
  """Column differences wrapped into [-W/2, W/2)."""
  return np.mod(np.asarray(delta) + width / 2, width) - width / 2


def best_of_k(samples: np.ndarray, target: np.ndarray) -> np.ndarray:
  """The error of the closest of K samples: `[N, K, ...]` against `[N,
  ...]` -> `[N]`, the smallest mean squared error over the K (a generative
  predictor is not penalised for spreading its samples over possible
  futures, as long as one of them is right)."""
  samples = np.asarray(samples, np.float64)
  target = np.asarray(target, np.float64)
  sq = np.square(samples - target[:, None])
  return sq.reshape(sq.shape[0], sq.shape[1], -1).mean(-1).min(-1)


def errors_by_horizon(predicted: np.ndarray, target: np.ndarray) -> np.ndarray:
  """Mean squared error per horizon: `[N, K, ...]` against `[N, K, ...]`
  -> `[K]`."""
  sq = np.square(np.asarray(predicted, np.float64) - np.asarray(target))
  return sq.reshape(sq.shape[0], sq.shape[1], -1).mean(axis=(0, 2))
