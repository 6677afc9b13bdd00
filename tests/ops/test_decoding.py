"""Tests for unsup_jax.ops.decoding: greedy, sampled and beam-search
decoding against brute force on a table model."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.ops import decoding

V, T, EOS, PAD, START = 4, 4, 2, 0, 1


def _table(seed):
  """A model whose next-token logits depend on the position and the last
  token: `tab[t, last]`; its state is the position."""
  tab = 2.0 * jax.random.normal(jax.random.key(seed), (T + 1, V, V))
  step = lambda pos, tok: (pos + 1, tab[pos, tok])
  return tab, step


def _score(tab, seq):
  """log p(seq) by the decoding rules (nothing but padding after EOS)."""
  total, last, ended = 0.0, START, False
  for t, x in enumerate(seq):
    if ended:
      if x != PAD:
        return -np.inf
      continue
    total += float(jax.nn.log_softmax(tab[t, last])[x])
    last, ended = x, x == EOS
  return total


def _decode(fn, seeds, **kw):
  tabs, steps = zip(*map(_table, seeds))
  out = []
  for tab, step in zip(tabs, steps):
    tokens, score = fn(step, jnp.zeros(1, jnp.int32), jnp.array([START]),
                       max_length=T, eos=EOS, pad=PAD, **kw)
    out.append((tab, np.asarray(tokens[0]), float(score[0])))
  return out


@pytest.mark.parametrize("seed", range(4))
def test_beam_of_one_is_greedy(seed):
  (tab, greedy, g_score), = _decode(decoding.greedy, [seed])
  (_, beam, b_score), = _decode(decoding.beam_search, [seed], beam=1)
  np.testing.assert_array_equal(beam, greedy)
  np.testing.assert_allclose(b_score, g_score, rtol=1e-6)
  np.testing.assert_allclose(g_score, _score(tab, greedy), rtol=1e-5)
  # greedy takes the most probable token at every step
  last = START
  for t, x in enumerate(greedy):
    if last == EOS:
      assert x == PAD
      continue
    assert x == int(np.argmax(tab[t, last]))
    last = x


@pytest.mark.parametrize("seed", range(4))
def test_a_wide_enough_beam_finds_the_most_probable_sequence(seed):
  (tab, beam, score), = _decode(decoding.beam_search, [seed],
                                beam=V ** (T - 1))
  best = max(itertools.product(range(V), repeat=T),
             key=lambda s: _score(tab, s))
  np.testing.assert_allclose(score, _score(tab, best), rtol=1e-5)
  np.testing.assert_allclose(_score(tab, beam), score, rtol=1e-5)


def test_beams_of_a_batch_are_independent():
  tab, step = _table(7)
  one = decoding.beam_search(step, jnp.zeros(1, jnp.int32),
                             jnp.array([START]), beam=3, max_length=T,
                             eos=EOS, pad=PAD)
  many = decoding.beam_search(step, jnp.zeros(3, jnp.int32),
                              jnp.array([START] * 3), beam=3, max_length=T,
                              eos=EOS, pad=PAD)
  for i in range(3):
    np.testing.assert_array_equal(many[0][i], one[0][0])


def test_sampling_follows_the_model():
  tab, step = _table(3)
  n = 4000
  tokens, score = decoding.sample(
      jax.random.key(0), step, jnp.zeros(n, jnp.int32),
      jnp.full((n,), START), max_length=T, eos=EOS, pad=PAD)
  first = np.bincount(np.asarray(tokens[:, 0]), minlength=V) / n
  np.testing.assert_allclose(first, jax.nn.softmax(tab[0, START]), atol=0.03)
  for row, s in zip(np.asarray(tokens[:20]), np.asarray(score[:20])):
    np.testing.assert_allclose(s, _score(tab, row), rtol=1e-5)
