"""Tests for unsup_jax.ops.averaging: the moving average's closed form,
its ends, pytrees, jit."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.ops import averaging


def _tree(key, scale=1.0):
  k1, k2 = jax.random.split(key)
  return {"w": scale * jax.random.normal(k1, (3, 4)),
          "b": [scale * jax.random.normal(k2, (4,)), jnp.zeros(())]}


def test_decay_zero_takes_the_value_and_decay_one_keeps_the_average():
  a, v = _tree(jax.random.key(0)), _tree(jax.random.key(1))
  chex.assert_trees_all_equal(averaging.ema(a, v, 0.0), v)
  chex.assert_trees_all_equal(averaging.ema(a, v, 1.0), a)


@pytest.mark.parametrize("decay", [0.5, 0.9, 0.999])
def test_n_steps_towards_a_fixed_value_follow_the_closed_form(decay):
  a0, v = _tree(jax.random.key(2), 3.0), _tree(jax.random.key(3))
  step = jax.jit(lambda a: averaging.ema(a, v, decay))
  a = a0
  for _ in range(20):
    a = step(a)
  expected = jax.tree.map(lambda x0, y: y + decay ** 20 * (x0 - y), a0, v)
  chex.assert_trees_all_close(a, expected, rtol=1e-5, atol=1e-6)


def test_an_average_of_a_sequence_weights_it_geometrically():
  values = np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32)
  decay, a = 0.7, jnp.zeros(5)
  for x in values:
    a = averaging.ema(a, x, decay)
  weights = (1 - decay) * decay ** np.arange(5, -1, -1)
  np.testing.assert_allclose(a, weights @ values, rtol=1e-5, atol=1e-6)


def test_traced_decay_and_dtypes():
  a = jnp.ones(4, jnp.float32)
  out = jax.jit(averaging.ema)(a, jnp.zeros(4, jnp.float32), jnp.float32(0.25))
  assert out.dtype == jnp.float32
  np.testing.assert_allclose(out, 0.25)


@pytest.mark.parametrize("decay", [-0.1, 1.5])
def test_decay_outside_the_unit_interval_is_refused(decay):
  with pytest.raises(ValueError, match="decay"):
    averaging.ema(jnp.zeros(2), jnp.ones(2), decay)
