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


def _weights(kind, steps, total=None, **kw):
  fn = jax.jit(lambda s: schedules.kl_weight(s, kind, end_value=2.0,
                                             steps=steps, **kw))
  return np.array([fn(np.int32(s)) for s in range(total or steps + 1)])


def test_logistic_is_bowmans_sigmoid_centred_on_half_the_steps():
  w = _weights("logistic", 1000)
  np.testing.assert_allclose(w[500], 1.0, rtol=1e-6)   # half of end_value
  sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))
  for s in (0, 100, 730, 1000):
    np.testing.assert_allclose(w[s], 2.0 * sigmoid(10.0 * (s - 500) / 1000),
                               rtol=1e-5)
  np.testing.assert_allclose([w[0], w[1000]], [2 * 0.00669, 2 * 0.99331],
                             atol=1e-4)
  assert np.all(np.diff(w) > 0)


def test_cyclical_rises_over_its_ramp_then_holds_and_repeats():
  w = _weights("cyclical", 100, total=400, ramp_fraction=0.25)
  np.testing.assert_allclose(w[[0, 5, 10, 25, 60, 99]],
                             [0.0, 0.4, 0.8, 2.0, 2.0, 2.0], rtol=1e-6)
  np.testing.assert_allclose(w[100:200], w[:100])   # the period
  np.testing.assert_allclose(w[300:], w[:100])
  assert w[100] == 0.0 and w[99] == 2.0


def test_linear_by_name_is_the_ramp():
  np.testing.assert_allclose(_weights("linear", 40),
                             [float(_ramp(s, end=2.0, steps=40))
                              for s in range(41)], rtol=1e-6)


@pytest.mark.parametrize("kind", ["linear", "logistic", "cyclical"])
def test_no_steps_means_full_weight(kind):
  np.testing.assert_allclose(_weights(kind, 0, total=3), [2.0] * 3)


def test_every_configured_schedule_exists():
  from unsup_jax.configs import vae as vae_config
  assert vae_config.KL_SCHEDULES == schedules.KL_SCHEDULES
  with pytest.raises(ValueError, match="unknown KL schedule"):
    schedules.kl_weight(0, "cosine", end_value=1.0, steps=10)


def test_free_bits_never_penalises_a_unit_below_its_floor():
  rng = np.random.default_rng(0)
  kl = rng.exponential(size=(64, 6)).astype(np.float32)
  kl[:, 0] *= 0.01      # unit 0 far below the floor
  kl[:, 1] *= 10.0      # unit 1 far above it
  floor = 0.5
  got = schedules.free_bits(kl, floor)
  chex.assert_shape(got, (64,))
  # The batch mean is Kingma et al.'s sum_u max(floor, mean_b KL_bu).
  np.testing.assert_allclose(np.mean(got),
                             np.sum(np.maximum(floor, kl.mean(0))), rtol=1e-5)
  grad = jax.grad(lambda k: np.float32(1) * schedules.free_bits(
      k, floor).mean())(kl)
  below = kl.mean(0) < floor
  assert below[0] and not below[1]
  np.testing.assert_array_equal(grad[:, below], 0.0)       # no pressure
  np.testing.assert_allclose(grad[:, ~below], 1.0 / 64)    # plain KL above
  np.testing.assert_allclose(schedules.free_bits(kl, 0.0), kl.sum(-1),
                             rtol=1e-6)
