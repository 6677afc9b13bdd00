"""VQ-VAE and the two-level VQ-VAE-2: encoders, quantisers and decoder.

VQ-VAE (van den Oord et al. 2017, arXiv:1711.00937): a convolutional encoder
maps `[B, H, W, C]` images to a `[B, h, w, D]` grid of vectors (h = H / 2^s
after s stride-2 convolutions), each replaced by its nearest codebook row;
a decoder maps the quantised grid back to pixels.

VQ-VAE-2 (Razavi et al. 2019, arXiv:1906.00446, Fig. 2a): a top encoder
halves the bottom features again and is quantised first; its decoded
output is concatenated with the bottom features before the bottom is
quantised (the bottom codes are conditioned on the top), and the decoder
reads both code maps (the top one upsampled to the bottom's size).

The codebooks are arguments, not parameters: they live in the method's
non-gradient state (EMA codebooks, `ops/quantize.py`). Level 0 is the bottom
(finest) code map, level 1 the top.
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from unsup_jax.nn.conv import UpConv2x
from unsup_jax.nn.resnet import ResidualStack
from unsup_jax.ops import quantize


def _crop(x: jax.Array, hw: tuple[int, int]) -> jax.Array:
  return x[:, :hw[0], :hw[1]]


class _Down(nn.Module):
  """s stride-2 4x4 convolutions, a 3x3 convolution and a residual stack."""
  hidden: int
  residual_hidden: int
  num_residual: int
  num_down: int

  @nn.compact
  def __call__(self, x):
    for i in range(self.num_down):
      ch = self.hidden if i == self.num_down - 1 else self.hidden // 2
      x = nn.relu(nn.Conv(ch, (4, 4), strides=(2, 2), padding="SAME",
                          name=f"down_{i}")(x))
    x = nn.Conv(self.hidden, (3, 3), padding="SAME", name="conv")(x)
    return ResidualStack(self.num_residual, self.residual_hidden,
                         name="res")(x)


class _Up(nn.Module):
  """A 3x3 convolution, a residual stack and s stride-2 4x4 upsamplings."""
  hidden: int
  residual_hidden: int
  num_residual: int
  num_up: int
  out_channels: int

  @nn.compact
  def __call__(self, x):
    x = nn.Conv(self.hidden, (3, 3), padding="SAME", name="conv")(x)
    x = ResidualStack(self.num_residual, self.residual_hidden, name="res")(x)
    for i in range(self.num_up):
      last = i == self.num_up - 1
      x = UpConv2x(self.out_channels if last else self.hidden // 2,
                   name=f"up_{i}")(x)
      x = x if last else nn.relu(x)
    return x


class VQVAE(nn.Module):
  """One- or two-level VQ-VAE on images of `image_shape`.

  Attributes:
    image_shape: `(H, W, C)`.
    levels: 1 (VQ-VAE) or 2 (VQ-VAE-2).
    hidden: channels of the encoders and decoder.
    residual_hidden: channels inside the residual blocks.
    num_residual: residual blocks per stack.
    embedding_dim: D, the dimension of the code vectors.
    num_down: stride-2 convolutions from the image to the bottom code map.
  """
  image_shape: tuple[int, int, int]
  levels: int = 1
  hidden: int = 64
  residual_hidden: int = 32
  num_residual: int = 2
  embedding_dim: int = 16
  num_down: int = 2

  def setup(self):
    if self.levels not in (1, 2):
      raise ValueError(f"levels must be 1 or 2, got {self.levels}")
    r = dict(hidden=self.hidden, residual_hidden=self.residual_hidden,
             num_residual=self.num_residual)
    self.bottom_encoder = _Down(num_down=self.num_down, **r)
    self.bottom_proj = nn.Conv(self.embedding_dim, (1, 1))
    if self.levels == 2:
      self.top_encoder = _Down(num_down=1, **r)
      self.top_proj = nn.Conv(self.embedding_dim, (1, 1))
      self.top_decoder = _Up(num_up=1, out_channels=self.hidden, **r)
      self.top_upsample = UpConv2x(self.embedding_dim)
    self.decoder = _Up(num_up=self.num_down, out_channels=self.image_shape[-1],
                       **r)

  def code_shapes(self) -> list[tuple[int, int]]:
    """`(h, w)` of each level's code map, bottom first."""
    h, w = self.image_shape[:2]
    shapes = []
    for steps in ([self.num_down, 1] if self.levels == 2 else [self.num_down]):
      for _ in range(steps):
        h, w = -(-h // 2), -(-w // 2)
      shapes.append((h, w))
    return shapes

  def encode(self, x: jax.Array, codebooks: Sequence[jax.Array]) -> list[dict]:
    """Encodes and quantises `[B, H, W, C]` images.

    Args:
      x: images.
      codebooks: one `[K, D]` codebook per level, bottom first.

    Returns:
      Per level (bottom first): `quantize.quantize`'s dict plus `z`, the
      `[B, h, w, D]` encoder output before quantisation.
    """
    features = self.bottom_encoder(x)
    if self.levels == 1:
      z = self.bottom_proj(features)
      return [dict(quantize.quantize(z, codebooks[0]), z=z)]
    z_top = self.top_proj(self.top_encoder(features))
    top = dict(quantize.quantize(z_top, codebooks[1]), z=z_top)
    decoded_top = _crop(self.top_decoder(top["quantized"]),
                        features.shape[1:3])
    z = self.bottom_proj(jnp.concatenate([features, decoded_top], axis=-1))
    return [dict(quantize.quantize(z, codebooks[0]), z=z), top]

  def decode(self, quantized: Sequence[jax.Array]) -> jax.Array:
    """Per-level `[B, h, w, D]` quantised maps -> `[B, H, W, C]` images."""
    x = quantized[0]
    if self.levels == 2:
      up = _crop(self.top_upsample(quantized[1]), x.shape[1:3])
      x = jnp.concatenate([x, up], axis=-1)
    return _crop(self.decoder(x), self.image_shape[:2])

  def decode_indices(self, indices: Sequence[jax.Array],
                     codebooks: Sequence[jax.Array]) -> jax.Array:
    """Per-level `[B, h, w]` code indices -> `[B, H, W, C]` images."""
    return self.decode([cb[i] for cb, i in zip(codebooks, indices)])

  def __call__(self, x: jax.Array, codebooks: Sequence[jax.Array]):
    levels = self.encode(x, codebooks)
    return self.decode([lv["quantized"] for lv in levels]), levels
