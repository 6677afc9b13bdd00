"""Properties of the denoising-autoencoder corruptions (ops.corruption)."""

import math

import jax
import numpy as np
import pytest

from unsup_jax.ops import corruption, distributions

SHAPE = (16, 8, 8, 1)
SIZE = math.prod(SHAPE[1:])


def _images(low=0.0, high=1.0, seed=0):
  rng = np.random.default_rng(seed)
  return rng.uniform(low, high, size=SHAPE).astype(np.float32)


def _keys(seed=0):
  return distributions.per_example_keys(jax.random.key(seed), SHAPE[0])


@pytest.mark.parametrize("kind,level", [("none", 0.0), ("gaussian", 0.5),
                                        ("masking", 0.3),
                                        ("salt_and_pepper", 0.3)])
def test_shape_range_and_determinism(kind, level):
  x = _images()
  y = np.asarray(corruption.corrupt_examples(_keys(), x, kind=kind,
                                             level=level))
  assert y.shape == x.shape and y.dtype == x.dtype
  assert y.min() >= 0.0 and y.max() <= 1.0
  again = corruption.corrupt_examples(_keys(), x, kind=kind, level=level)
  np.testing.assert_array_equal(again, y)
  other = corruption.corrupt_examples(_keys(1), x, kind=kind, level=level)
  if kind == "none":
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(
        corruption.corrupt(jax.random.key(0), x, kind="none", level=0.7), x)
  else:
    assert not np.array_equal(other, y)


def test_masking_zeroes_exactly_the_requested_fraction():
  x = _images(0.1, 1.0)               # no zero pixels to begin with
  y = np.asarray(corruption.corrupt_examples(_keys(), x, kind="masking",
                                             level=0.3))
  zeros = (y == 0).reshape(len(y), -1).sum(1)
  np.testing.assert_array_equal(zeros, round(0.3 * SIZE))
  kept = y != 0
  np.testing.assert_array_equal(y[kept], x[kept])
  # Different examples lose different pixels.
  assert not np.array_equal(y[0] == 0, y[1] == 0)


def test_masked_pixels_are_uniform_over_positions():
  x = np.ones((2000, 4, 4, 1), np.float32)
  keys = distributions.per_example_keys(jax.random.key(3), len(x))
  y = np.asarray(corruption.corrupt_examples(keys, x, kind="masking",
                                             level=0.25))
  rate = (y == 0).mean(0).ravel()            # per position, expect 0.25
  se = math.sqrt(0.25 * 0.75 / len(x))
  assert np.all(np.abs(rate - 0.25) < 5 * se)


def test_salt_and_pepper_sets_only_zeros_and_ones():
  x = _images(0.1, 0.9)
  y = np.asarray(corruption.corrupt_examples(_keys(), x, kind="salt_and_pepper",
                                             level=0.4))
  changed = y != x
  assert set(np.unique(y[changed])) <= {0.0, 1.0}
  np.testing.assert_array_equal(changed.reshape(len(y), -1).sum(1),
                                round(0.4 * SIZE))
  salt = (y[changed] == 1.0).mean()          # expect 1/2
  se = math.sqrt(0.25 / changed.sum())
  assert abs(salt - 0.5) < 5 * se


def test_gaussian_noise_has_the_requested_std_and_is_clipped():
  x = np.full((64, 8, 8, 1), 0.5, np.float32)
  keys = distributions.per_example_keys(jax.random.key(2), len(x))
  y = np.asarray(corruption.corrupt_examples(keys, x, kind="gaussian",
                                             level=0.1))
  noise = (y - x).ravel()                    # |noise| > 0.5 has p ~ 6e-7
  se = 0.1 / math.sqrt(noise.size)
  assert abs(noise.mean()) < 5 * se
  assert abs(noise.std() - 0.1) < 0.01
  big = np.asarray(corruption.gaussian_noise(jax.random.key(0), x, std=2.0))
  assert big.min() == 0.0 and big.max() == 1.0


def test_per_example_keys_make_splits_agree():
  """Corrupting two halves with their global offsets equals the whole batch
  (what makes a pmap step draw the jit step's noise)."""
  x, key = _images(), jax.random.key(5)
  whole = corruption.corrupt_examples(
      distributions.per_example_keys(key, 16), x, kind="salt_and_pepper",
      level=0.2)
  halves = [corruption.corrupt_examples(
      distributions.per_example_keys(key, 8, offset), x[offset:offset + 8],
      kind="salt_and_pepper", level=0.2) for offset in (0, 8)]
  np.testing.assert_array_equal(np.concatenate(halves), whole)
  np.testing.assert_array_equal(
      whole[3], corruption.corrupt(distributions.per_example_keys(key, 16)[3],
                                   x[3], kind="salt_and_pepper", level=0.2))


def test_unknown_kind_raises():
  with pytest.raises(ValueError, match="unknown corruption"):
    corruption.corrupt(jax.random.key(0), _images(), kind="blur", level=1.0)


def test_word_dropout_keeps_markers_and_drops_words_at_the_rate():
  rng = np.random.default_rng(0)
  n, length, rate, unk = 400, 30, 0.3, 3
  tokens = rng.integers(4, 50, size=(n, length)).astype(np.int32)
  tokens[:, 0] = 1                       # start marker
  ends = rng.integers(5, length, size=n)
  rows = np.arange(n)
  tokens[rows, ends] = 2                 # end marker, then padding
  tokens[np.arange(length)[None, :] > ends[:, None]] = 0
  out = np.asarray(corruption.word_dropout(
      jax.random.key(1), tokens, rate=rate, unk=unk, keep_below=4))
  assert out.dtype == tokens.dtype and out.shape == tokens.shape
  words = tokens >= 4
  np.testing.assert_array_equal(out[~words], tokens[~words])  # markers, pad
  changed = out != tokens
  assert np.all(out[changed] == unk)
  dropped = changed[words].mean()
  se = math.sqrt(rate * (1 - rate) / words.sum())
  assert abs(dropped - rate) < 5 * se
  np.testing.assert_array_equal(corruption.word_dropout(
      jax.random.key(1), tokens, rate=0.0, unk=unk, keep_below=4), tokens)
