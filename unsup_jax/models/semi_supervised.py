"""The networks of M2 (Kingma et al. 2014, arXiv:1406.5298): q(y | x),
q(z | x, y) and p(x | y, z) on flat inputs (pixels, or M1's codes).

The encoder's and decoder's first layers take their two inputs through two
dense maps that are added (the same as one dense layer on the
concatenation), so that scoring every class at once costs one pass of x:
`encode(x[:, None], eye(K)[None])` broadcasts x's projection over the K
class rows. Only wiring lives here; the bounds are `losses/semi_supervised.py`.
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from unsup_jax.nn.mlp import MLP
from unsup_jax.ops import distributions

LIKELIHOODS = ("bernoulli", "gaussian")
MIN_OBS_LOGVAR = -9.0


ACTIVATIONS = {"softplus": nn.softplus, "relu": nn.relu}


class Classifier(nn.Module):
  """q(y | x): an MLP from `[..., D]` inputs to `[..., K]` logits (the
  supervised-only baseline is this network alone, and so are the
  classifiers of the consistency methods), with `activation` (a key of
  `ACTIVATIONS`) between its layers."""
  hidden: Sequence[int]
  num_classes: int
  activation: str = "softplus"

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    return MLP((*self.hidden, self.num_classes),
               activation=ACTIVATIONS[self.activation], name="mlp")(x)


class _TwoInputMLP(nn.Module):
  """act(A a + B b + c), then an MLP to `num_outputs` (broadcasting a, b)."""
  hidden: Sequence[int]
  num_outputs: int

  @nn.compact
  def __call__(self, a: jax.Array, b: jax.Array) -> jax.Array:
    h = (nn.Dense(self.hidden[0], name="first_a")(a)
         + nn.Dense(self.hidden[0], use_bias=False, name="first_b")(b))
    return MLP((*self.hidden[1:], self.num_outputs), activation=nn.softplus,
               name="rest")(nn.softplus(h))


class M2(nn.Module):
  """Attributes: hidden widths (each of the three networks), latent_dim,
  num_classes, data_dim (D of the flat inputs) and likelihood of p(x | y, z)
  ("bernoulli" logits for pixels; "gaussian" with a learned per-dimension
  variance, for M1's codes)."""
  hidden: Sequence[int]
  latent_dim: int
  num_classes: int
  data_dim: int
  likelihood: str = "bernoulli"

  def setup(self):
    if self.likelihood not in LIKELIHOODS:
      raise ValueError(f"unknown likelihood {self.likelihood!r}")
    self.classifier = Classifier(self.hidden, self.num_classes)
    self.encoder = _TwoInputMLP(self.hidden, 2 * self.latent_dim)
    self.decoder = _TwoInputMLP(tuple(reversed(self.hidden)), self.data_dim)
    if self.likelihood == "gaussian":
      self.obs_logvar = self.param("obs_logvar", nn.initializers.zeros,
                                   (self.data_dim,))

  def __call__(self, x: jax.Array) -> tuple:
    """Every network once (initialisation): `[B, D]` inputs."""
    y = jax.nn.one_hot(jnp.zeros(x.shape[:1], jnp.int32), self.num_classes)
    mean, _ = self.encode(x, y)
    return self.classify(x), self.decode(mean, y)

  def classify(self, x: jax.Array) -> jax.Array:
    """`[..., D]` -> `[..., K]` logits of q(y | x)."""
    return self.classifier(x)

  def encode(self, x: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    """q(z | x, y): x `[..., D]`, one-hot y `[..., K]` (broadcast together)
    -> (mean, logvar) `[..., latent_dim]`."""
    return jnp.split(self.encoder(x, y), 2, axis=-1)

  def decode(self, z: jax.Array, y: jax.Array) -> jax.Array:
    """p(x | y, z)'s logits (bernoulli) or means (gaussian) `[..., D]`."""
    return self.decoder(z, y)

  def log_likelihood(self, x: jax.Array, decoded: jax.Array) -> jax.Array:
    """log p(x | y, z) summed over D: x `[..., D]` broadcast against
    `decoded` `[..., D]` -> the broadcast batch shape."""
    batch_ndim = max(x.ndim, decoded.ndim) - 1
    if self.likelihood == "bernoulli":
      return distributions.bernoulli_log_prob(x, decoded,
                                              batch_ndim=batch_ndim)
    logvar = jnp.maximum(self.obs_logvar, MIN_OBS_LOGVAR)
    x = jnp.broadcast_to(x, jnp.broadcast_shapes(x.shape, decoded.shape))
    return distributions.gaussian_log_prob(x, decoded, logvar,
                                           batch_ndim=batch_ndim)

  def mean_output(self, decoded: jax.Array) -> jax.Array:
    """E[x | y, z] (pixel probabilities, or the code means)."""
    return nn.sigmoid(decoded) if self.likelihood == "bernoulli" else decoded
