"""Encoder and decoder trunks shared by the autoencoder family, and the
discriminator on codes of the adversarial autoencoder and FactorVAE.

`kind="mlp"` flattens images through dense layers (the 784-512-20 networks of
Kingma & Welling 2014); `kind="conv"` uses strided convolutions.
"""

import math
from typing import Sequence

import flax.linen as nn
import jax

from unsup_jax.nn.conv import ConvDecoder, ConvEncoder, flatten_images
from unsup_jax.nn.mlp import MLP

KINDS = ("mlp", "conv")


class Encoder(nn.Module):
  """`[B, H, W, C]` -> `[B, num_outputs]` (e.g. 2 * latent for mean, logvar).

  Attributes:
    kind: "mlp" or "conv".
    hidden: hidden widths (mlp) or conv channels (conv).
    num_outputs: width of the final linear layer.
  """
  kind: str
  hidden: Sequence[int]
  num_outputs: int

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    if self.kind == "mlp":
      h = MLP(tuple(self.hidden), activate_final=True, name="trunk")(
          flatten_images(x))
    elif self.kind == "conv":
      h = ConvEncoder(tuple(self.hidden), name="trunk")(x)
    else:
      raise ValueError(f"unknown network kind {self.kind!r}; use {KINDS}")
    return nn.Dense(self.num_outputs, name="head")(h)


class Decoder(nn.Module):
  """`[B, D]` codes -> `[B, H, W, C]` (logits or means).

  Attributes:
    kind: "mlp" or "conv".
    hidden: hidden widths (mlp, from the code outwards) or conv channels.
    output_shape: `(H, W, C)`.
  """
  kind: str
  hidden: Sequence[int]
  output_shape: tuple[int, int, int]

  @nn.compact
  def __call__(self, z: jax.Array) -> jax.Array:
    if self.kind == "mlp":
      size = math.prod(self.output_shape)
      out = MLP(tuple(self.hidden) + (size,), name="trunk")(z)
      return out.reshape((z.shape[0],) + tuple(self.output_shape))
    if self.kind == "conv":
      return ConvDecoder(tuple(self.output_shape), tuple(self.hidden),
                         name="trunk")(z)
    raise ValueError(f"unknown network kind {self.kind!r}; use {KINDS}")


class CodeDiscriminator(nn.Module):
  """`[B, D]` codes -> `[B]` logits: an MLP with leaky ReLUs. It tells prior
  samples from encoded codes (adversarial autoencoders, Makhzani et al.
  2016) or codes from codes with shuffled units (FactorVAE, Kim & Mnih
  2018).

  Attributes:
    hidden: hidden widths.
  """
  hidden: tuple[int, ...]

  @nn.compact
  def __call__(self, z: jax.Array) -> jax.Array:
    h = MLP(tuple(self.hidden), activation=nn.leaky_relu,
            activate_final=True)(z)
    return nn.Dense(1)(h)[:, 0]
