"""Deterministic autoencoders x -> code -> x_hat.

Hinton & Salakhutdinov (2006), "Reducing the dimensionality of data with
neural networks", Science 313: MLP or convolutional trunks, with an optional
non-linearity on the code (sigmoid codes for the sparse autoencoder of Ng
2011). Baldi & Hornik (1989), "Neural networks and principal component
analysis: learning from examples without local minima", Neural Networks 2:
the linear autoencoder with tied weights, whose squared-error optimum spans
the top principal subspace of the data.
"""

import math
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from unsup_jax.models.networks import Decoder, Encoder

CODE_ACTIVATIONS = {"linear": lambda h: h, "sigmoid": jax.nn.sigmoid,
                    "relu": jax.nn.relu}


def code_activation_fn(name: str):
  """The function applied to the code for `name` in CODE_ACTIVATIONS."""
  if name not in CODE_ACTIVATIONS:
    raise ValueError(f"unknown code activation {name!r}; use "
                     f"{tuple(CODE_ACTIVATIONS)}")
  return CODE_ACTIVATIONS[name]


class Autoencoder(nn.Module):
  """Attributes: kind, encoder_hidden, decoder_hidden, latent_dim,
  image_shape `(H, W, C)`, code_activation ("linear", "sigmoid", "relu")."""
  kind: str
  encoder_hidden: Sequence[int]
  decoder_hidden: Sequence[int]
  latent_dim: int
  image_shape: tuple[int, int, int]
  code_activation: str = "linear"

  def setup(self):
    self.encoder = Encoder(self.kind, self.encoder_hidden, self.latent_dim)
    self.decoder = Decoder(self.kind, self.decoder_hidden, self.image_shape)

  def encode(self, x: jax.Array) -> jax.Array:
    """`[B, H, W, C]` -> `[B, D]` codes (after the code activation)."""
    return code_activation_fn(self.code_activation)(self.encoder(x))

  def decode(self, z: jax.Array) -> jax.Array:
    """`[B, D]` -> `[B, H, W, C]` logits."""
    return self.decoder(z)

  def __call__(self, x: jax.Array) -> jax.Array:
    return self.decode(self.encode(x))


class TiedLinearAutoencoder(nn.Module):
  """z = act((x - mu) W), x_hat = z W^T + mu with one `[D, K]` matrix W.

  With the linear code activation and a squared-error loss, the minima have
  W W^T equal to the projection onto the top-K principal subspace of the
  data (Baldi & Hornik 1989); mu then converges to the data mean.

  Attributes:
    latent_dim: K.
    image_shape: `(H, W, C)`; D = H * W * C.
    code_activation: "linear" (default), "sigmoid" or "relu".
  """
  latent_dim: int
  image_shape: tuple[int, int, int]
  code_activation: str = "linear"

  def setup(self):
    size = math.prod(self.image_shape)
    # Columns of norm about 1 (orthonormal at the optimum).
    self.kernel = self.param(
        "kernel", nn.initializers.normal(1.0 / math.sqrt(size)),
        (size, self.latent_dim))
    self.bias = self.param("bias", nn.initializers.zeros, (size,))

  def encode(self, x: jax.Array) -> jax.Array:
    """`[B, H, W, C]` -> `[B, K]` codes."""
    flat = x.reshape(x.shape[0], -1) - self.bias
    return code_activation_fn(self.code_activation)(flat @ self.kernel)

  def decode(self, z: jax.Array) -> jax.Array:
    """`[B, K]` -> `[B, H, W, C]` (values, or logits under a BCE loss)."""
    out = z @ self.kernel.T + self.bias
    return out.reshape((z.shape[0],) + tuple(self.image_shape))

  def __call__(self, x: jax.Array) -> jax.Array:
    return self.decode(self.encode(x))

  def weights(self) -> jax.Array:
    """The shared matrix as K images: `[K, H, W, C]`."""
    return jnp.transpose(self.kernel).reshape(
        (self.latent_dim,) + tuple(self.image_shape))


def from_config(a, image_shape):
  """The autoencoder of config section `a` (`config.autoencoder`) for
  images of `image_shape`: tied linear, or MLP / conv trunks."""
  if a.kind == "linear_tied":
    return TiedLinearAutoencoder(
        latent_dim=a.latent_dim, image_shape=tuple(image_shape),
        code_activation=a.code_activation)
  return Autoencoder(
      kind=a.kind, encoder_hidden=tuple(a.encoder_hidden),
      decoder_hidden=tuple(a.decoder_hidden), latent_dim=a.latent_dim,
      image_shape=tuple(image_shape), code_activation=a.code_activation)
