"""The context encoder and its discriminator.

Pathak et al. (2016), "Context Encoders: Feature Learning by Inpainting",
arXiv:1604.07379: an encoder-decoder that sees an image with a region
removed and predicts the whole image; a discriminator judges the result for
the adversarial part of the loss. Here the encoder also sees the mask as an
extra input channel, so it knows which zeros are missing and which are dark
pixels, and the bottleneck is a dense layer (the paper's channel-wise fully
connected layer generalised to all channels).
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from unsup_jax.nn.conv import ConvDecoder, ConvEncoder


def context_input(images: jax.Array, mask: jax.Array) -> jax.Array:
  """The generator's input: the image with its hole zeroed, then the mask.

  Args:
    images: `[B, H, W, C]` images.
    mask: `[B, H, W, 1]` mask, 1 = missing.

  Returns:
    `[B, H, W, C + 1]`.
  """
  return jnp.concatenate([images * (1.0 - mask), mask], axis=-1)


class ContextEncoder(nn.Module):
  """`[B, H, W, C + 1]` masked image and mask -> `[B, H, W, C]` logits.

  Attributes:
    image_shape: `(H, W, C)` of the images; H and W divisible by
      `2 ** len(decoder_channels)`.
    encoder_channels: channels of the stride-2 convolutions.
    bottleneck: width of the dense layer between encoder and decoder.
    decoder_channels: channels of the stride-2 transposed convolutions.
  """
  image_shape: tuple[int, int, int]
  encoder_channels: Sequence[int] = (32, 64)
  bottleneck: int = 256
  decoder_channels: Sequence[int] = (64, 32)

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = ConvEncoder(tuple(self.encoder_channels), name="encoder")(x)
    h = nn.relu(nn.Dense(self.bottleneck, name="bottleneck")(h))
    return ConvDecoder(tuple(self.image_shape),
                       tuple(self.decoder_channels), name="decoder")(h)


class Discriminator(nn.Module):
  """`[B, H, W, C]` images -> `[B]` logits of "real".

  Attributes:
    channels: channels of the stride-2 convolutions.
  """
  channels: Sequence[int] = (32, 64)

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    h = ConvEncoder(tuple(self.channels), name="encoder")(x)
    return nn.Dense(1, name="logit")(h)[:, 0]
