"""Properties of unsup_jax.eval.sequences: circular centres of mass,
centring, displacement, direction and errors by horizon."""

import functools

import numpy as np
import pytest

from unsup_jax.data import sources
from unsup_jax.eval import sequences

_WIDTH = 28
_MIDDLE = _WIDTH / 2   # where MNIST puts the centre of mass


@functools.lru_cache(maxsize=None)
def _digits(n=10):
  """The first n mnist5k training digits, `[n, 28, 28, 1]` float32."""
  return np.asarray(sources.load("mnist5k").split("train")["image"][:n])


def _circular_difference(a, b, width=_WIDTH):
  """a - b wrapped into [-width/2, width/2)."""
  return np.mod(np.asarray(a) - b + width / 2, width) - width / 2


def _moving(digit, step, num_frames, start=0):
  """`[num_frames, H, W, C]`: `digit` rolled by start + step * t in frame t."""
  return np.stack([np.roll(digit, start + step * t, axis=1)
                   for t in range(num_frames)])


@pytest.mark.parametrize("width", [28, 9])
def test_centre_of_a_single_bright_column_is_that_column(width):
  frames = np.zeros((width, 5, width, 1), np.float32)
  frames[np.arange(width), :, np.arange(width)] = 1.0   # frame c: column c
  centre = sequences.circular_centre(frames)
  assert centre.shape == (width,)
  np.testing.assert_allclose(centre, np.arange(width), atol=1e-9)
  # Channels and rows only add mass: a 3-channel frame with varying rows
  # and intensity still has its centre at the column.
  frame = np.zeros((7, width, 3))
  frame[2:5, 3, :] = [0.2, 0.5, 0.9]
  np.testing.assert_allclose(sequences.circular_centre(frame), 3.0, atol=1e-9)


def test_two_equal_columns_centre_between_them_the_short_way_round():
  frame = np.zeros((4, _WIDTH, 1))
  frame[:, [1, 5]] = 1.0
  np.testing.assert_allclose(sequences.circular_centre(frame), 3.0,
                             atol=1e-9)
  # Columns 26 and 2 are 4 apart across the edge: the centre is at 0, not
  # at their linear mean 14.
  frame = np.zeros((4, _WIDTH, 1))
  frame[:, [_WIDTH - 2, 2]] = 1.0
  centre = float(sequences.circular_centre(frame))
  assert abs(_circular_difference(centre, 0.0)) < 1e-9


def test_rolling_a_frame_moves_its_centre_by_the_roll():
  digits = _digits()
  centre = sequences.circular_centre(digits)                       # [N]
  for k in range(-_WIDTH, 2 * _WIDTH, 3):
    rolled = sequences.circular_centre(np.roll(digits, k, axis=2))
    assert np.all((rolled >= 0) & (rolled < _WIDTH))
    np.testing.assert_allclose(
        _circular_difference(rolled, np.mod(centre + k, _WIDTH)), 0.0,
        atol=1e-9)


def test_centre_columns_of_every_shift_of_a_digit_is_the_same_image():
  """All 28 circular shifts of each digit centre to one image: the digit
  rolled so that its centre is at the middle column to the nearest pixel.
  (Exact, unless a centre falls within rounding error of a half pixel.)"""
  for digit in _digits():
    shifts = np.stack([np.roll(digit, k, axis=1) for k in range(_WIDTH)])
    centred = sequences.centre_columns(shifts)
    assert centred.shape == shifts.shape
    roll = int(np.rint(_MIDDLE - sequences.circular_centre(digit)))
    expected = np.roll(digit, roll, axis=1)
    for k in range(_WIDTH):
      np.testing.assert_array_equal(centred[k], expected, err_msg=f"k={k}")
    # The centred image's centre is within half a pixel of the middle.
    assert abs(float(sequences.circular_centre(expected)) - _MIDDLE) <= 0.5
    # Centring never changes the pixels, only where they are.
    np.testing.assert_array_equal(np.sort(centred[0], axis=None),
                                  np.sort(digit, axis=None))


def test_centre_columns_already_centred_digit_is_unchanged():
  digit = _digits()[0]
  centred = sequences.centre_columns(digit[None])[0]
  np.testing.assert_array_equal(sequences.centre_columns(centred[None])[0],
                                centred)


def test_empty_frame_centre_is_nan_and_centring_leaves_it_unchanged():
  empty = np.zeros((_WIDTH, _WIDTH, 1), np.float32)
  digit = np.roll(_digits()[1], 9, axis=1)
  frames = np.stack([digit, empty, digit])
  centre = sequences.circular_centre(frames)
  assert np.isnan(centre[1]) and np.all(np.isfinite(centre[[0, 2]]))
  centred = sequences.centre_columns(frames)
  np.testing.assert_array_equal(centred[1], empty)
  np.testing.assert_array_equal(centred[0],
                                sequences.centre_columns(digit[None])[0])
  np.testing.assert_array_equal(centred[2], centred[0])
  # An empty frame among moving ones has no displacement.
  disp = sequences.displacement(np.stack([digit, empty,
                                          np.roll(digit, 1, axis=1)]))
  assert np.all(np.isnan(disp))


@pytest.mark.parametrize("step", [1, -1, 2, -3])
def test_displacement_and_direction_of_a_moving_digit(step):
  # 40 frames: the digit wraps around the 28 columns at least once.
  movies = np.stack([_moving(d, step, 40, start=5 * i)
                     for i, d in enumerate(_digits(4))])     # [4, 40, ...]
  disp = sequences.displacement(movies)
  assert disp.shape == (4, 39)
  np.testing.assert_allclose(disp, step, atol=1e-9)
  np.testing.assert_array_equal(sequences.direction(movies),
                                np.full(4, np.sign(step)))
  # Two frames across the edge are enough: the first frame's centre is
  # within a pixel of the edge it moves across.
  digit = _digits()[0]
  centre = float(sequences.circular_centre(digit))
  start = int(np.floor(_WIDTH - centre) if step > 0 else np.ceil(-centre))
  across = _moving(digit, step, 2, start=start)
  centres = sequences.circular_centre(across)
  assert (centres[1] < centres[0]) == (step > 0)        # it wrapped
  assert sequences.direction(across) == np.sign(step)


def test_direction_of_a_still_or_empty_sequence_is_zero():
  still = np.stack([_digits()[0]] * 5)
  empty = np.zeros((5, _WIDTH, _WIDTH, 1), np.float32)
  np.testing.assert_array_equal(sequences.direction(np.stack([still, empty])),
                                [0.0, 0.0])


def test_errors_by_horizon_against_a_loop():
  rng = np.random.default_rng(0)
  predicted = rng.uniform(size=(5, 4, 6, 7, 2)).astype(np.float32)
  target = rng.uniform(size=(5, 4, 6, 7, 2)).astype(np.float32)
  errors = sequences.errors_by_horizon(predicted, target)
  assert errors.shape == (4,)
  expected = [np.mean([np.mean((predicted[n, k].astype(np.float64)
                                - target[n, k]) ** 2) for n in range(5)])
              for k in range(4)]
  np.testing.assert_allclose(errors, expected, rtol=1e-12)
  # Error only at horizon 2, in one pixel of one sequence.
  bumped = target.copy()
  bumped[3, 2, 1, 4, 0] += 2.0
  np.testing.assert_allclose(sequences.errors_by_horizon(bumped, target),
                             [0.0, 0.0, 4.0 / (5 * 6 * 7 * 2), 0.0],
                             rtol=1e-6)


def test_best_of_k_is_the_closest_samples_error_by_brute_force():
  rng = np.random.default_rng(0)
  samples = rng.random((6, 5, 4, 3, 1))
  target = rng.random((6, 4, 3, 1))
  expected = [min(np.mean((samples[i, k] - target[i]) ** 2) for k in range(5))
              for i in range(6)]
  np.testing.assert_allclose(sequences.best_of_k(samples, target), expected,
                             rtol=1e-12)
  # A sample equal to the target: no error, whatever the others.
  samples[2, 3] = target[2]
  assert sequences.best_of_k(samples, target)[2] == 0.0


def test_column_centre_is_the_circular_centre_of_the_frames():
  frames = np.asarray(_digits(6))
  np.testing.assert_allclose(
      sequences.column_centre(frames.astype(np.float64).sum(axis=(1, 3))),
      sequences.circular_centre(frames), rtol=1e-12)
  mass = np.zeros((3, _WIDTH))
  mass[0, 5] = 2.0                     # a point mass sits at its column
  mass[1, [27, 1]] = 1.0               # across the wrap: at 0
  centre = sequences.column_centre(mass)
  np.testing.assert_allclose(centre[0], 5.0, atol=1e-9)
  np.testing.assert_allclose(sequences.wrapped(centre[1], _WIDTH), 0.0,
                             atol=1e-9)
  assert np.isnan(centre[2])
  np.testing.assert_array_equal(sequences.wrapped([27.0, -15.0, 3.0], 28),
                                [-1.0, 13.0, 3.0])
