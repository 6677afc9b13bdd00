"""TD-VAE's networks and the deterministic sequence baseline.

TD-VAE (Gregor et al. 2019, "Temporal Difference Variational
Auto-Encoder", arXiv:1806.03107): each frame x_t is embedded by an MLP and
an LSTM turns x_1..t into the belief b_t. Four families of distributions
over the state z, each a hierarchy of `num_layers` diagonal Gaussians of
`latent_dim` units (top layer first; every layer a `GatedGaussian` block
of the paper's appendix, fed its context and the layers above it):

* the belief p_B(z_t | b_t);
* the smoothing posterior q_S(z_t1 | z_t2, b_t1, b_t2, delta);
* the transition p_T(z_t2 | z_t1, delta), whose mean is z_t1's own layer
  plus a learned change;
* the decoder p_D(x_t | z_t): Bernoulli logits of the pixels, or a
  Gaussian with a learned variance per observed dimension.

The jump delta = t2 - t1 in [1, max_jump] is given to the transition and
the smoothing posterior as a one-hot vector, so that one jump of a chosen
size can be asked for (the paper's moving-MNIST model leaves the size
implicit). Frames of any shape are flattened.

`JumpPredictor` is the deterministic baseline: the same embedding and LSTM,
and a head predicting x_{t+d} for every d in [1, max_jump] from b_t.
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.nn.mlp import MLP, GatedGaussian
from unsup_jax.nn.rnn import Recurrent
from unsup_jax.ops import distributions

LIKELIHOODS = ("bernoulli", "gaussian")


def log_likelihood(likelihood: str, x: jax.Array, out: jax.Array,
                   logvar: jax.Array | None) -> jax.Array:
  """log p(x | out) of flat `x` `[..., P]`: Bernoulli logits `out`, or a
  Gaussian of mean `out` and log-variance `logvar` `[P]`. Sums the last
  axis."""
  if likelihood == "bernoulli":
    return jnp.sum(x * out - jax.nn.softplus(out), axis=-1)
  return distributions.gaussian_log_prob(x, out, logvar,
                                         batch_ndim=x.ndim - 1)


def mean_of(likelihood: str, out: jax.Array) -> jax.Array:
  """The mean observation of decoder output `out`."""
  return jax.nn.sigmoid(out) if likelihood == "bernoulli" else out


class _Beliefs(nn.Module):
  """Frames `[B, T, ...]` -> beliefs `[B, T, H]`: an MLP per frame, then
  an LSTM."""
  embed_hidden: Sequence[int]
  belief_size: int
  unroll: int = 1

  @nn.compact
  def __call__(self, frames: jax.Array) -> jax.Array:
    b, t = frames.shape[:2]
    x = frames.reshape(b, t, -1).astype(jnp.float32)
    x = MLP(tuple(self.embed_hidden), activate_final=True, name="embed")(x)
    return Recurrent(self.belief_size, unroll=self.unroll, name="lstm")(x)


class TDVAE(nn.Module):
  """TD-VAE's networks (see the module docstring).

  Attributes:
    frame_shape: shape of one frame (without batch and time).
    likelihood: "bernoulli" or "gaussian".
    embed_hidden: widths of the frame embedding MLP (ReLU).
    belief_size: LSTM width.
    latent_dim: units per latent layer.
    num_layers: latent layers.
    hidden: width of every gated Gaussian block.
    decoder_hidden: widths of the decoder MLP (ReLU).
    max_jump: the largest jump D.
    unroll: LSTM time steps per scan iteration.
  """
  frame_shape: tuple[int, ...]
  likelihood: str = "bernoulli"
  embed_hidden: Sequence[int] = (256, 256)
  belief_size: int = 256
  latent_dim: int = 8
  num_layers: int = 2
  hidden: int = 50
  decoder_hidden: Sequence[int] = (200, 200)
  max_jump: int = 4
  unroll: int = 1

  def setup(self):
    gated = lambda: [GatedGaussian(self.hidden, self.latent_dim)
                     for _ in range(self.num_layers)]
    self.belief_net = _Beliefs(self.embed_hidden, self.belief_size,
                               self.unroll)
    self.belief_layers = gated()
    self.smoothing_layers = gated()
    self.transition_layers = gated()
    size = int(np.prod(self.frame_shape))
    self.decoder = MLP(tuple(self.decoder_hidden) + (size,))
    if self.likelihood == "gaussian":
      self.obs_logvar = self.param("obs_logvar", nn.initializers.zeros,
                                   (size,))

  @property
  def state_dim(self) -> int:
    return self.latent_dim * self.num_layers

  def one_hot(self, jump: jax.Array) -> jax.Array:
    return jax.nn.one_hot(jump - 1, self.max_jump)

  def beliefs(self, frames: jax.Array) -> jax.Array:
    """`[B, T, ...]` -> `[B, T, belief_size]`: b_t summarises x_1..t."""
    return self.belief_net(frames)

  def belief(self, b: jax.Array, layer: int, upper):
    """Layer `layer` of p_B(z | b): (mean, logvar) `[B, latent_dim]`."""
    x = b if upper is None else jnp.concatenate([b, upper], -1)
    return self.belief_layers[layer](x)

  def smoothing(self, z2: jax.Array, b1: jax.Array, b2: jax.Array,
                jump: jax.Array, layer: int, upper):
    """Layer `layer` of q_S(z_t1 | z_t2, b_t1, b_t2, delta)."""
    parts = [z2, b1, b2, self.one_hot(jump)]
    return self.smoothing_layers[layer](
        jnp.concatenate(parts + ([] if upper is None else [upper]), -1))

  def transition(self, z1: jax.Array, jump: jax.Array, layer: int, upper):
    """Layer `layer` of p_T(z_t2 | z_t1, delta): mean = z_t1's layer plus
    a learned change."""
    parts = [z1, self.one_hot(jump)] + ([] if upper is None else [upper])
    change, logvar = self.transition_layers[layer](jnp.concatenate(parts, -1))
    own = z1[:, layer * self.latent_dim:(layer + 1) * self.latent_dim]
    return own + change, logvar

  def decode(self, z: jax.Array) -> jax.Array:
    """`[B, state_dim]` -> flat decoder outputs `[B, P]`."""
    return self.decoder(z)

  def log_likelihood(self, x: jax.Array, out: jax.Array) -> jax.Array:
    """log p_D(x | z) of frames `x` `[B, ...]` from `decode`'s `out`."""
    x = x.reshape(x.shape[0], -1).astype(jnp.float32)
    return log_likelihood(self.likelihood, x, out, self.obs_logvar
                          if self.likelihood == "gaussian" else None)

  def __call__(self, frames: jax.Array):
    """Touches every network once (for `init`)."""
    b = self.beliefs(frames)[:, 0]
    z = jnp.zeros((b.shape[0], self.state_dim))
    jump = jnp.ones((b.shape[0],), jnp.int32)
    for layer in range(self.num_layers):
      upper = z[:, :layer * self.latent_dim] if layer else None
      self.belief(b, layer, upper)
      self.smoothing(z, b, b, jump, layer, upper)
      self.transition(z, jump, layer, upper)
    return self.log_likelihood(frames[:, 0], self.decode(z))


class JumpPredictor(nn.Module):
  """The deterministic baseline: from b_t and a jump d in [1, max_jump],
  x_{t+d} (Bernoulli logits, or Gaussian means with a learned
  log-variance per jump and observed dimension).

  Attributes: as `TDVAE`'s of the same names.
  """
  frame_shape: tuple[int, ...]
  likelihood: str = "bernoulli"
  embed_hidden: Sequence[int] = (256, 256)
  belief_size: int = 256
  decoder_hidden: Sequence[int] = (200, 200)
  max_jump: int = 4
  unroll: int = 1

  def setup(self):
    size = int(np.prod(self.frame_shape))
    self.belief_net = _Beliefs(self.embed_hidden, self.belief_size,
                               self.unroll)
    self.head = MLP(tuple(self.decoder_hidden) + (size,))
    if self.likelihood == "gaussian":
      self.obs_logvar = self.param("obs_logvar", nn.initializers.zeros,
                                   (self.max_jump, size))

  def beliefs(self, frames: jax.Array) -> jax.Array:
    """`[B, T, ...]` -> `[B, T, belief_size]`."""
    return self.belief_net(frames)

  def predict(self, b: jax.Array, jump: jax.Array):
    """Beliefs `[N, H]` and jumps `[N]` -> (outputs `[N, P]`, log-variances
    `[N, P]` or None)."""
    out = self.head(jnp.concatenate(
        [b, jax.nn.one_hot(jump - 1, self.max_jump)], -1))
    if self.likelihood != "gaussian":
      return out, None
    return out, self.obs_logvar[jump - 1]

  def __call__(self, frames: jax.Array):
    """Touches every network once (for `init`)."""
    b = self.beliefs(frames)[:, 0]
    return self.predict(b, jnp.ones((b.shape[0],), jnp.int32))
