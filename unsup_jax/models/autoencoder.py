"""Deterministic autoencoder x -> code -> x_hat.

Hinton & Salakhutdinov (2006), "Reducing the dimensionality of data with
neural networks", Science 313. MLP or convolutional trunks.
"""

from typing import Sequence

import flax.linen as nn
import jax

from unsup_jax.models.networks import Decoder, Encoder


class Autoencoder(nn.Module):
  """Attributes: kind, encoder_hidden, decoder_hidden, latent_dim,
  image_shape `(H, W, C)`."""
  kind: str
  encoder_hidden: Sequence[int]
  decoder_hidden: Sequence[int]
  latent_dim: int
  image_shape: tuple[int, int, int]

  def setup(self):
    self.encoder = Encoder(self.kind, self.encoder_hidden, self.latent_dim)
    self.decoder = Decoder(self.kind, self.decoder_hidden, self.image_shape)

  def encode(self, x: jax.Array) -> jax.Array:
    """`[B, H, W, C]` -> `[B, D]` codes."""
    return self.encoder(x)

  def decode(self, z: jax.Array) -> jax.Array:
    """`[B, D]` -> `[B, H, W, C]` logits."""
    return self.decoder(z)

  def __call__(self, x: jax.Array) -> jax.Array:
    return self.decode(self.encode(x))
