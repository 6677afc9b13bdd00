"""Strided convolutional encoder and transposed-convolution decoder.

The DCGAN-style stacks of Radford et al. (2016), arXiv:1511.06434, without
normalisation layers: every 4x4 stride-2 convolution halves the spatial size,
every transposed one doubles it.
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class ConvEncoder(nn.Module):
  """`[B, H, W, C]` -> `[B, F]` features (flattened last feature map).

  Attributes:
    channels: channels of each stride-2 convolution.
  """
  channels: Sequence[int] = (32, 64)

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for i, ch in enumerate(self.channels):
      x = nn.relu(nn.Conv(ch, (4, 4), strides=(2, 2), padding="SAME",
                          name=f"conv_{i}")(x))
    return x.reshape(x.shape[0], -1)


class ConvDecoder(nn.Module):
  """`[B, D]` codes -> `[B, H, W, C]` outputs (unconstrained).

  Attributes:
    output_shape: `(H, W, C)`; H and W must be divisible by
      `2 ** len(channels)`.
    channels: channels of each stride-2 transposed convolution, from the
      smallest feature map up.
  """
  output_shape: tuple[int, int, int]
  channels: Sequence[int] = (64, 32)

  @nn.compact
  def __call__(self, z: jax.Array) -> jax.Array:
    h, w, c = self.output_shape
    scale = 2 ** len(self.channels)
    if h % scale or w % scale:
      raise ValueError(f"image size {h}x{w} is not divisible by {scale}: "
                       f"use fewer conv layers")
    x = nn.relu(nn.Dense((h // scale) * (w // scale) * self.channels[0],
                         name="project")(z))
    x = x.reshape(z.shape[0], h // scale, w // scale, self.channels[0])
    for i, ch in enumerate(self.channels):
      x = nn.relu(nn.ConvTranspose(ch, (4, 4), strides=(2, 2), padding="SAME",
                                   name=f"deconv_{i}")(x))
    return nn.Conv(c, (3, 3), padding="SAME", name="out")(x)


def flatten_images(x: jax.Array) -> jax.Array:
  """`[B, H, W, C]` -> `[B, H*W*C]`."""
  return jnp.reshape(x, (x.shape[0], -1))
