"""Properties of unsup_jax.nn.rnn.Recurrent: it is the step-by-step loop of
its cell, causal, and independent of its unroll."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.nn import rnn

_B, _T, _D, _F = 3, 7, 4, 5


def _inputs(seed=0, shape=(_B, _T, _D)):
  return jax.random.normal(jax.random.key(seed), shape)


def _init(cell, unroll=1, seed=1):
  module = rnn.Recurrent(_F, cell=cell, unroll=unroll)
  return module, module.init(jax.random.key(seed), _inputs())


def _loop(cell, params, x, carry=None):
  """The cell applied step by step in Python: (outputs [B, T, F], carry)."""
  step = rnn.make_cell(cell, _F)
  if carry is None:
    carry = step.initialize_carry(jax.random.key(0), x[:, 0].shape)
  outputs = []
  for t in range(x.shape[1]):
    carry, y = step.apply({"params": params["params"]["cell"]}, carry,
                          x[:, t])
    outputs.append(y)
  return jnp.stack(outputs, 1), carry


@pytest.mark.parametrize("cell", rnn.CELLS)
def test_outputs_and_carry_equal_a_loop_over_the_cell(cell):
  module, params = _init(cell)
  x = _inputs()
  outputs, carry = module.apply(params, x, return_carry=True)
  chex.assert_shape(outputs, (_B, _T, _F))
  expected, expected_carry = _loop(cell, params, x)
  np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)
  chex.assert_trees_all_close(carry, expected_carry, rtol=1e-5, atol=1e-6)
  # The outputs alone by default, the same ones.
  np.testing.assert_array_equal(module.apply(params, x), outputs)
  # The last output is the carry's hidden state.
  hidden = carry[1] if cell == "lstm" else carry
  np.testing.assert_array_equal(outputs[:, -1], hidden)


@pytest.mark.parametrize("cell", rnn.CELLS)
def test_initial_carry_is_where_the_loop_starts(cell):
  module, params = _init(cell)
  x = _inputs()
  zero_carry = rnn.make_cell(cell, _F).initialize_carry(
      jax.random.key(0), x[:, 0].shape)
  start = jax.tree_util.tree_map(
      lambda c: jax.random.normal(jax.random.key(7), c.shape), zero_carry)
  outputs, carry = module.apply(params, x, start, return_carry=True)
  expected, expected_carry = _loop(cell, params, x, start)
  np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)
  chex.assert_trees_all_close(carry, expected_carry, rtol=1e-5, atol=1e-6)
  assert not np.allclose(outputs, module.apply(params, x))


@pytest.mark.parametrize("cell", rnn.CELLS)
@pytest.mark.parametrize("t", [0, 3, _T - 1])
def test_causal(cell, t):
  module, params = _init(cell)
  apply = jax.jit(module.apply)
  x = _inputs()
  outputs = apply(params, x)
  perturbed = apply(params, x.at[:, t].add(1.0))
  np.testing.assert_array_equal(perturbed[:, :t], outputs[:, :t])
  assert np.all(np.abs(perturbed[:, t] - outputs[:, t]).max(-1) > 1e-3)


@pytest.mark.parametrize("cell", rnn.CELLS)
def test_unroll_does_not_change_outputs(cell):
  module, params = _init(cell)
  unrolled, unrolled_params = _init(cell, unroll=2)
  chex.assert_trees_all_equal(unrolled_params, params)
  x = _inputs()                            # T = 7: an odd tail for unroll 2
  out, carry = module.apply(params, x, return_carry=True)
  out2, carry2 = unrolled.apply(params, x, return_carry=True)
  np.testing.assert_allclose(out2, out, rtol=1e-6, atol=1e-6)
  chex.assert_trees_all_close(carry2, carry, rtol=1e-6, atol=1e-6)


def test_unknown_cell_raises():
  with pytest.raises(ValueError, match="unknown recurrent cell 'rnn'"):
    rnn.make_cell("rnn", _F)
  with pytest.raises(ValueError, match="lstm, gru"):
    rnn.Recurrent(_F, cell="LSTM").init(jax.random.key(0), _inputs())
