"""The phase-decomposed transposed convolution equals Flax's ConvTranspose."""

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import pytest

from unsup_jax.nn.conv import ConvDecoder, ConvEncoder, DownConv2x, UpConv2x


@pytest.mark.parametrize("shape,features", [((3, 7, 7, 5), 4),
                                            ((2, 4, 6, 3), 8),
                                            ((1, 1, 1, 2), 3)])
def test_upconv_equals_conv_transpose(shape, features):
  key_x, key_p = jax.random.split(jax.random.key(0))
  x = jax.random.normal(key_x, shape)
  reference = nn.ConvTranspose(features, (4, 4), strides=(2, 2),
                               padding="SAME")
  params = reference.init(key_p, x)
  params = jax.tree.map(lambda p: p + 0.1, params)     # non-zero bias too
  ours = UpConv2x(features)
  assert jax.tree.map(jnp.shape, ours.init(key_p, x)) == jax.tree.map(
      jnp.shape, params)
  expected = reference.apply(params, x)
  chex.assert_shape(expected, (shape[0], 2 * shape[1], 2 * shape[2], features))
  chex.assert_trees_all_close(ours.apply(params, x), expected, atol=1e-5)
  # Gradients agree too (parameters and input).
  loss = lambda m: (lambda p, x: jnp.sum(jnp.sin(m.apply(p, x))))
  chex.assert_trees_all_close(jax.grad(loss(ours), argnums=(0, 1))(params, x),
                              jax.grad(loss(reference), argnums=(0, 1))(params, x),
                              atol=1e-4)


def test_conv_shapes_round_trip():
  x = jnp.zeros((2, 28, 28, 1))
  enc = ConvEncoder((32, 64))
  feats = enc.apply(enc.init(jax.random.key(0), x), x)
  chex.assert_shape(feats, (2, 7 * 7 * 64))
  dec = ConvDecoder((28, 28, 1), (64, 32))
  z = jnp.zeros((2, 16))
  chex.assert_shape(dec.apply(dec.init(jax.random.key(1), z), z), (2, 28, 28, 1))
  with pytest.raises(ValueError, match="not divisible"):
    bad = ConvDecoder((10, 10, 1), (64, 32))
    bad.init(jax.random.key(1), z)


@pytest.mark.parametrize("shape", [(2, 28, 28, 3), (2, 7, 7, 2),
                                   (1, 14, 9, 1)])
def test_downconv_equals_strided_conv_with_its_derivatives(shape):
  """Same parameters, same outputs, same input gradients and the same
  second derivative (what the gradient penalties differentiate)."""
  x = jax.random.normal(jax.random.key(0), shape)
  ref = nn.Conv(5, (4, 4), strides=(2, 2), padding="SAME")
  params = ref.init(jax.random.key(1), x)
  params = jax.tree.map(lambda p: p + 0.1, params)   # non-zero bias too
  fast = DownConv2x(5)
  chex.assert_trees_all_equal_shapes(fast.init(jax.random.key(1), x), params)
  chex.assert_trees_all_close(fast.apply(params, x), ref.apply(params, x),
                              atol=1e-5)
  w = jax.random.normal(jax.random.key(2), ref.apply(params, x).shape)
  def input_grad_norm(module, p, x):
    g = jax.grad(lambda xx: jnp.sum(jnp.tanh(module.apply(p, xx)) * w))(x)
    return jnp.sum(g ** 2)
  chex.assert_trees_all_close(
      jax.grad(input_grad_norm, argnums=(1, 2))(fast, params, x),
      jax.grad(input_grad_norm, argnums=(1, 2))(ref, params, x),
      rtol=1e-4, atol=1e-4)
