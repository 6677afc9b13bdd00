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


class DownConv2x(nn.Module):
  """A 4x4, stride-2, "SAME" convolution, computed as one matmul.

  Numerically `nn.Conv(features, (4, 4), strides=(2, 2), padding="SAME")`
  with the same parameters (`kernel [4, 4, C_in, C_out]`, `bias`). After
  "SAME" padding, output (i, j) reads padded rows and columns 2i..2i+3 and
  2j..2j+3: the 2x2 blocks (i, i+1) x (j, j+1) of the space-to-depth input
  (Shi et al. 2016, arXiv:1609.05158). The four blocks side by side, times
  the kernel as a `[16 C_in, C_out]` matrix, give every output at once.
  Built from pads, slices, reshapes and one matmul, its derivatives of every
  order stay matmuls: XLA:CPU runs the second derivative of a strided
  convolution (the input-gradient penalties of WGAN-GP and R1) as a slow
  dilated convolution, tens of times slower than this form.

  Attributes:
    features: output channels.
  """
  features: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """`[B, H, W, C_in]` -> `[B, ceil(H/2), ceil(W/2), features]`."""
    b, h, w, c_in = x.shape
    kernel = self.param("kernel", nn.initializers.lecun_normal(),
                        (4, 4, c_in, self.features))
    bias = self.param("bias", nn.initializers.zeros, (self.features,))
    oh, ow = -(-h // 2), -(-w // 2)
    pad_h, pad_w = 2 * oh + 2 - h, 2 * ow + 2 - w     # "SAME" totals
    x = jnp.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2),
                    (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    blocks = x.reshape(b, oh + 1, 2, ow + 1, 2, c_in).transpose(
        0, 1, 3, 2, 4, 5).reshape(b, oh + 1, ow + 1, 4 * c_in)
    windows = jnp.concatenate(
        [blocks[:, a:a + oh, c:c + ow] for a in (0, 1) for c in (0, 1)],
        axis=-1)                                        # [B, oh, ow, 16 C_in]
    taps = jnp.concatenate(
        [kernel[2 * a:2 * a + 2, 2 * c:2 * c + 2].reshape(4 * c_in, -1)
         for a in (0, 1) for c in (0, 1)], axis=0)      # [16 C_in, C_out]
    return (windows.reshape(-1, 16 * c_in) @ taps).reshape(
        b, oh, ow, self.features) + bias


class UpConv2x(nn.Module):
  """A 4x4, stride-2, "SAME" transposed convolution, computed as one matmul.

  Numerically the layer `nn.ConvTranspose(features, (4, 4), strides=(2, 2),
  padding="SAME")`, with the same parameters (`kernel [4, 4, C_in, C_out]`,
  `bias`), so either can load the other's weights. Output pixel (2i + p,
  2j + q) only meets the 2x2 kernel taps of parity (p, q) (the "sub-pixel"
  view of Shi et al. 2016, arXiv:1609.05158): every 2x2 window of the padded
  input, times a `[4 C_in, 4 C_out]` matrix holding the four parities' taps,
  gives all four outputs it contributes to. XLA:CPU lowers the gradient of a
  strided transposed convolution to a slow dilated convolution; the matmul
  form is about 2-4x faster forward and backward on 2 CPU cores.

  Attributes:
    features: output channels.
    use_bias: add a bias (not needed before a normalisation layer).
  """
  features: int
  use_bias: bool = True

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """`[B, H, W, C_in]` -> `[B, 2H, 2W, features]`."""
    b, h, w, c_in = x.shape
    c_out = self.features
    kernel = self.param("kernel", nn.initializers.lecun_normal(),
                        (4, 4, c_in, c_out))
    padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    windows = jnp.concatenate(                           # [B, H+1, W+1, 4 C_in]
        [padded[:, a:a + h + 1, c:c + w + 1] for a in (0, 1) for c in (0, 1)],
        axis=-1)
    taps = jnp.concatenate(                              # [4 C_in, 4 C_out]
        [kernel[p::2, q::2].reshape(4 * c_in, c_out)
         for p in (0, 1) for q in (0, 1)], axis=1)
    y = (windows.reshape(-1, 4 * c_in) @ taps).reshape(b, h + 1, w + 1, 4,
                                                       c_out)
    rows = [jnp.stack([y[:, p:p + h, q:q + w, 2 * p + q] for q in (0, 1)],
                      axis=3) for p in (0, 1)]           # [B, H, W, 2, C] x2
    out = jnp.stack(rows, axis=2)                        # [B, H, 2, W, 2, C]
    out = out.reshape(b, 2 * h, 2 * w, c_out)
    if self.use_bias:
      out = out + self.param("bias", nn.initializers.zeros, (c_out,))
    return out


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
      x = nn.relu(UpConv2x(ch, name=f"deconv_{i}")(x))
    return nn.Conv(c, (3, 3), padding="SAME", name="out")(x)


def flatten_images(x: jax.Array) -> jax.Array:
  """`[B, H, W, C]` -> `[B, H*W*C]`."""
  return jnp.reshape(x, (x.shape[0], -1))
