"""The sentence VAE of Bowman et al. (2016), "Generating Sentences from a
Continuous Space", CoNLL, arXiv:1511.06349, and its language model.

Sentences are rows of token ids `<s> w_1 .. w_n </s> <pad> ..`
(`data/sentences.py`). The encoder embeds the words and end marker and runs
an LSTM (or GRU) over them; its state after the end marker gives the
Gaussian q(z|x) (mean and log-variance by one dense layer). The decoder is
an LSTM language model over the same embeddings, conditioned on z either
at every step (z concatenated to each input embedding) or through its
initial state (a dense map of z), predicting token t + 1 from tokens up to
t by a softmax over the vocabulary. With `latent_dim = 0` there is no
encoder and no z: the same decoder is the language-model baseline.

`step` runs the decoder one token at a time from `decoder_state` (for greedy decoding and beam
search, `ops/decoding.py`) with the same parameters as the teacher-forced
pass `logits`.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from unsup_jax.data.sentences import PAD
from unsup_jax.losses.categorical import sequence_log_likelihood
from unsup_jax.nn.rnn import Recurrent, hidden_state, make_cell
from unsup_jax.ops import distributions

CONDITIONINGS = ("input", "initial")


class SentenceVAE(nn.Module):
  """Encoder q(z|x) and decoder p(x|z) over token ids.

  Attributes:
    vocab_size: V, reserved ids included.
    embed_dim: width of the word embeddings (shared by both networks).
    hidden: width of the recurrent states.
    latent_dim: size of z; 0 makes the language model (no encoder, no z).
    cell: "lstm" or "gru".
    conditioning: "input" (z at every decoder step) or "initial" (z sets
      the decoder's initial state).
  """
  vocab_size: int
  embed_dim: int = 256
  hidden: int = 256
  latent_dim: int = 16
  cell: str = "lstm"
  conditioning: str = "input"

  def setup(self):
    if self.conditioning not in CONDITIONINGS:
      raise ValueError(f"unknown conditioning {self.conditioning!r}; choose "
                       f"one of {', '.join(CONDITIONINGS)}")
    self.embed = nn.Embed(self.vocab_size, self.embed_dim)
    if self.latent_dim:
      self.encoder = Recurrent(self.hidden, self.cell)
      self.posterior = nn.Dense(2 * self.latent_dim)
      if self.conditioning == "initial":
        self.initial = nn.Dense(self.hidden)
    self.decoder_cell = make_cell(self.cell, self.hidden)
    self.readout = nn.Dense(self.vocab_size)

  def __call__(self, tokens: jax.Array) -> jax.Array:
    """Initialisation: every parameter, from `tokens` `[B, L]`."""
    z = None
    if self.latent_dim:
      z, _ = self.encode(tokens)
    return self.logits(tokens[:, :-1], z)

  def encode(self, tokens: jax.Array) -> tuple[jax.Array, jax.Array]:
    """q(z|x) of sentences `tokens` `[B, L]`: (mean, logvar) `[B, D]`."""
    words = tokens[:, 1:]                      # the words and the end marker
    length = jnp.sum(words != PAD, axis=-1)
    _, carry = self.encoder(self.embed(words), return_carry=True,
                            seq_lengths=length)
    stats = self.posterior(hidden_state(self.cell, carry))
    return stats[:, :self.latent_dim], stats[:, self.latent_dim:]

  def initial_carry(self, z: jax.Array | None, batch: int):
    """The decoder's state before the start marker."""
    zeros = jnp.zeros((batch, self.hidden))
    if z is None or self.conditioning == "input":
      return (zeros, zeros) if self.cell == "lstm" else zeros
    c = self.initial(z)
    return (c, jnp.tanh(c)) if self.cell == "lstm" else jnp.tanh(c)

  def _inputs(self, tokens: jax.Array, z: jax.Array | None) -> jax.Array:
    x = self.embed(tokens)
    if z is not None and self.conditioning == "input":
      zz = jnp.broadcast_to(z[..., None, :] if x.ndim == 3 else z,
                            x.shape[:-1] + z.shape[-1:])
      x = jnp.concatenate([x, zz], axis=-1)
    return x

  def logits(self, inputs: jax.Array, z: jax.Array | None) -> jax.Array:
    """Teacher forcing: `[B, T, V]` logits of the tokens after `inputs`
    `[B, T]` (the sentence shifted right, or its word-dropped copy)."""
    scan = nn.scan(lambda cell, carry, x: cell(carry, x),
                   variable_broadcast="params", split_rngs={"params": False},
                   in_axes=1, out_axes=1)
    _, h = scan(self.decoder_cell, self.initial_carry(z, inputs.shape[0]),
                self._inputs(inputs, z))
    return self.readout(h)

  def decoder_state(self, z: jax.Array | None, batch: int):
    """The state `step` starts from: (the decoder's initial carry, z)."""
    return self.initial_carry(z, batch), z

  def step(self, state, tokens: jax.Array):
    """One decoder step from `state` (carry, z): (the next state, `[N, V]`
    logits of the next token) after reading `tokens` `[N]`."""
    carry, z = state
    carry, h = self.decoder_cell(carry, self._inputs(tokens, z))
    return (carry, z), self.readout(h)

  def log_likelihood(self, tokens: jax.Array, z: jax.Array | None,
                     inputs: jax.Array | None = None) -> jax.Array:
    """`[B]` log p(x|z) of sentences `tokens` `[B, L]` (log p(x) for the
    language model), from decoder `inputs` (default: the sentence itself;
    word dropout passes its corrupted copy)."""
    inputs = tokens[:, :-1] if inputs is None else inputs
    targets = tokens[:, 1:]
    return sequence_log_likelihood(self.logits(inputs, z), targets,
                                   targets != PAD)


def from_config(v, vocab_size: int) -> SentenceVAE:
  """The network of section `v` (`config.svae`) over `vocab_size` ids: the
  VAE, or the language model when `v.model` is "lm"."""
  return SentenceVAE(vocab_size=vocab_size, embed_dim=v.embed_dim,
                     hidden=v.hidden,
                     latent_dim=v.latent_dim if v.model == "vae" else 0,
                     cell=v.cell, conditioning=v.conditioning)


def posterior_sample(model: SentenceVAE, params, tokens: jax.Array,
                     keys: jax.Array) -> dict:
  """q(z|x) of `tokens` `[B, L]` and one z per sentence from `keys` `[B]`:
  `{mean, logvar, z, kl_units [B, D]}`."""
  mean, logvar = model.apply({"params": params}, tokens,
                             method=SentenceVAE.encode)
  z = jax.vmap(distributions.reparameterize)(keys, mean, logvar)
  return dict(mean=mean, logvar=logvar, z=z,
              kl_units=distributions.kl_standard_normal_units(mean, logvar))
