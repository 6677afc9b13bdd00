"""categorical_nll against an independent NumPy computation."""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.losses.categorical import categorical_nll


@pytest.mark.parametrize("shape,k", [((7,), 3), ((2, 4, 5), 6), ((3, 2, 2), 1)])
def test_matches_numpy(shape, k):
  rng = np.random.default_rng(0)
  logits = rng.normal(size=(*shape, k)) * 3.0
  targets = rng.integers(0, k, size=shape)
  # -log softmax, by the log-sum-exp with the max subtracted, in float64.
  m = logits.max(-1, keepdims=True)
  log_z = (m + np.log(np.exp(logits - m).sum(-1, keepdims=True)))[..., 0]
  picked = np.take_along_axis(logits, targets[..., None], -1)[..., 0]
  expected = np.mean(log_z - picked)
  loss, metrics = jax.jit(categorical_nll)(jnp.asarray(logits, jnp.float32),
                                           jnp.asarray(targets, jnp.int32))
  np.testing.assert_allclose(loss, expected, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(metrics["loss"], expected, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(metrics["bits_per_code"], expected / math.log(2),
                             rtol=1e-5, atol=1e-6)


def test_uniform_and_confident():
  k = 8
  targets = jnp.array([[0, 3], [7, 5]])
  loss, metrics = categorical_nll(jnp.full((2, 2, k), 1.7), targets)
  np.testing.assert_allclose(loss, math.log(k), rtol=1e-6)
  np.testing.assert_allclose(metrics["bits_per_code"], 3.0, rtol=1e-6)
  confident = 50.0 * jax.nn.one_hot(targets, k)
  loss, metrics = categorical_nll(confident, targets)
  assert 0.0 <= float(loss) < 1e-15 and float(metrics["bits_per_code"]) < 1e-15
  # Wrong and confident: about the logit gap, finite (no overflow).
  loss, _ = categorical_nll(1e4 * jax.nn.one_hot((targets + 1) % k, k), targets)
  np.testing.assert_allclose(loss, 1e4, rtol=1e-5)


def test_gradient_is_softmax_minus_onehot():
  logits = jax.random.normal(jax.random.key(0), (4, 5))
  targets = jnp.array([0, 4, 2, 2])
  grad = jax.grad(lambda l: categorical_nll(l, targets)[0])(logits)
  expected = (jax.nn.softmax(logits) - jax.nn.one_hot(targets, 5)) / 4
  chex.assert_trees_all_close(grad, expected, atol=1e-6)


def test_shape_mismatch_raises():
  with pytest.raises(ValueError, match="shape"):
    categorical_nll(jnp.zeros((2, 3, 4)), jnp.zeros((2, 4), jnp.int32))


def test_sequence_log_likelihood_sums_the_targets_and_ignores_padding():
  from unsup_jax.losses.categorical import sequence_log_likelihood
  rng = np.random.default_rng(0)
  logits = rng.normal(size=(3, 5, 7)).astype(np.float32)
  targets = rng.integers(0, 7, size=(3, 5))
  mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]])
  log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
  want = [sum(log_p[b, t, targets[b, t]] for t in range(5) if mask[b, t])
          for b in range(3)]
  got = sequence_log_likelihood(logits, targets, mask)
  chex.assert_shape(got, (3,))
  np.testing.assert_allclose(got, want, rtol=1e-5)
  # Anything at a padded position, logits or target, changes nothing.
  noisy = logits.copy()
  noisy[mask == 0] = 1e3 * rng.normal(size=noisy[mask == 0].shape)
  other = np.where(mask == 1, targets, (targets + 3) % 7)
  np.testing.assert_allclose(sequence_log_likelihood(noisy, other, mask),
                             want, rtol=1e-5)
  grad = jax.grad(lambda l: jnp.sum(sequence_log_likelihood(
      l, targets, mask)))(jnp.asarray(logits))
  np.testing.assert_array_equal(np.asarray(grad)[mask == 0], 0.0)
