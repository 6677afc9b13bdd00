"""Variational autoencoder: Gaussian encoder q(z|x), Bernoulli or Gaussian p(x|z).

Kingma & Welling (2014), arXiv:1312.6114. The model only wires networks; the
sampling and the objective live in `ops/distributions.py` and
`losses/elbo.py`, and keys are passed explicitly by the caller.

The Gaussian decoder has one learned observation log-variance shared by all
pixels (the "sigma-VAE" of Rybkin et al. 2021, arXiv:2006.13202), floored to
keep the likelihood bounded.
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from unsup_jax.models.networks import Decoder, Encoder
from unsup_jax.ops import distributions

LIKELIHOODS = ("bernoulli", "gaussian")
MIN_OBS_LOGVAR = -9.0  # observation std >= ~0.011


class VAE(nn.Module):
  """Attributes: kind, encoder_hidden, decoder_hidden, latent_dim,
  image_shape `(H, W, C)`, likelihood ("bernoulli" or "gaussian")."""
  kind: str
  encoder_hidden: Sequence[int]
  decoder_hidden: Sequence[int]
  latent_dim: int
  image_shape: tuple[int, int, int]
  likelihood: str = "bernoulli"

  def setup(self):
    if self.likelihood not in LIKELIHOODS:
      raise ValueError(f"unknown likelihood {self.likelihood!r}")
    self.encoder = Encoder(self.kind, self.encoder_hidden, 2 * self.latent_dim)
    self.decoder = Decoder(self.kind, self.decoder_hidden, self.image_shape)
    if self.likelihood == "gaussian":
      self.obs_logvar = self.param("obs_logvar", nn.initializers.zeros, ())

  def encode(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """`[B, H, W, C]` -> (mean `[B, D]`, logvar `[B, D]`)."""
    mean, logvar = jnp.split(self.encoder(x), 2, axis=-1)
    return mean, logvar

  def decode(self, z: jax.Array) -> jax.Array:
    """`[B, D]` -> `[B, H, W, C]` logits (Bernoulli) or means (Gaussian)."""
    return self.decoder(z)

  def log_likelihood(self, x: jax.Array, decoded: jax.Array) -> jax.Array:
    """log p(x | z) for decoder outputs. `[B, H, W, C]` x2 -> `[B]`."""
    if self.likelihood == "bernoulli":
      return distributions.bernoulli_log_prob(x, decoded)
    logvar = jnp.maximum(self.obs_logvar, MIN_OBS_LOGVAR)
    return distributions.gaussian_log_prob(x, decoded, logvar)

  def mean_image(self, decoded: jax.Array) -> jax.Array:
    """Expected pixel values E[x | z] in image space."""
    if self.likelihood == "bernoulli":
      return jax.nn.sigmoid(decoded)
    return decoded

  def __call__(self, x: jax.Array) -> jax.Array:
    """Deterministic pass through the posterior mean (used to initialise)."""
    mean, _ = self.encode(x)
    return self.decode(mean)


def from_config(v, image_shape) -> VAE:
  """The VAE of config section `v` (`config.vae`, or `config.m1`) for
  images of `image_shape`."""
  return VAE(kind=v.kind, encoder_hidden=tuple(v.encoder_hidden),
             decoder_hidden=tuple(v.decoder_hidden), latent_dim=v.latent_dim,
             image_shape=tuple(image_shape), likelihood=v.likelihood)
