"""Tests for unsup_jax.ops.schedules."""

import chex
import jax
import numpy as np
import pytest

from unsup_jax.ops import schedules


def _ramp(step, start=0.0, end=4.0, steps=100):
  return schedules.linear_ramp(step, start_value=start, end_value=end,
                               ramp_steps=steps)


def test_endpoints_and_midpoint():
  np.testing.assert_allclose(_ramp(0), 0.0)
  np.testing.assert_allclose(_ramp(50), 2.0, rtol=1e-6)
  np.testing.assert_allclose(_ramp(25), 1.0, rtol=1e-6)
  np.testing.assert_allclose(_ramp(100), 4.0, rtol=1e-6)
  np.testing.assert_allclose(_ramp(1, start=1.0, end=2.0, steps=3), 4.0 / 3,
                             rtol=1e-6)


@pytest.mark.parametrize("step", [100, 101, 1000, 10**7])
def test_clipped_past_the_end(step):
  np.testing.assert_allclose(_ramp(step), 4.0, rtol=1e-6)


def test_clipped_before_the_start():
  np.testing.assert_allclose(_ramp(-10), 0.0)


def test_decreasing_ramp():
  values = np.array([_ramp(s, start=1.0, end=0.25, steps=10)
                     for s in range(-2, 14)])
  np.testing.assert_allclose(values[0], 1.0)
  np.testing.assert_allclose(values[-1], 0.25)
  np.testing.assert_allclose(values[2 + 4], 1.0 - 0.75 * 0.4, rtol=1e-6)
  assert np.all(np.diff(values) <= 0.0)


def test_is_linear_in_the_step():
  steps = np.arange(0, 11)
  values = np.array([_ramp(s, start=-1.0, end=3.0, steps=10) for s in steps])
  np.testing.assert_allclose(values, -1.0 + 0.4 * steps, rtol=1e-6,
                             atol=1e-6)


@pytest.mark.parametrize("ramp_steps", [0, -1, -100])
def test_non_positive_ramp_gives_end_value(ramp_steps):
  for step in (0, 1, 1000):
    value = _ramp(step, start=7.0, end=0.5, steps=ramp_steps)
    assert value.dtype == np.float32
    np.testing.assert_allclose(value, 0.5)


def test_traced_step_under_jit():
  ramp = jax.jit(lambda s: _ramp(s, start=0.0, end=1.0, steps=8))
  values = np.array([ramp(np.int32(s)) for s in (0, 2, 4, 8, 9)])
  np.testing.assert_allclose(values, [0.0, 0.25, 0.5, 1.0, 1.0], rtol=1e-6)
  out = ramp(np.int32(3))
  chex.assert_shape(out, ())
  assert out.dtype == np.float32
