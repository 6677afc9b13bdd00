"""Categorical negative log-likelihood of discrete codes, and of token
sequences (`sequence_log_likelihood`: the sentence VAE and language models).

The training loss of an autoregressive prior over VQ-VAE codes (van den Oord
et al. 2017, arXiv:1711.00937; the PixelCNN of van den Oord et al. 2016,
arXiv:1606.05328): -log softmax(logits)[target], averaged over every code,
reported in nats and in bits per code.
"""

import math

import jax
import jax.numpy as jnp


def categorical_nll(logits: jax.Array,
                    targets: jax.Array) -> tuple[jax.Array, dict]:
  """Mean -log p(target) under softmax(logits).

  Args:
    logits: `[..., K]` unnormalised log-probabilities (e.g. `[B, H, W, K]`).
    targets: `[...]` ints in [0, K) (e.g. `[B, H, W]`).

  Returns:
    (mean NLL in nats, {"loss": nats, "bits_per_code": nats / ln 2}).

  Raises:
    ValueError: if `targets.shape != logits.shape[:-1]`.
  """
  if tuple(targets.shape) != tuple(logits.shape[:-1]):
    raise ValueError(f"targets shape {targets.shape} does not match logits "
                     f"shape {logits.shape} without its last axis")
  log_probs = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)
  picked = jnp.take_along_axis(log_probs, targets.astype(jnp.int32)[..., None],
                               axis=-1)[..., 0]
  loss = -jnp.mean(picked)
  return loss, {"loss": loss, "bits_per_code": loss / math.log(2.0)}


def sequence_log_likelihood(logits: jax.Array, targets: jax.Array,
                            mask: jax.Array) -> jax.Array:
  """log p(sequence): the masked sum of log softmax(logits)[target].

  Args:
    logits: `[B, T, V]` next-token logits.
    targets: `[B, T]` ints in [0, V).
    mask: `[B, T]`, 1 where a target is a token of the sequence and 0 on
      padding (whose logits and targets are then ignored).

  Returns:
    `[B]` log-likelihoods (nats).
  """
  log_probs = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)
  picked = jnp.take_along_axis(log_probs, targets.astype(jnp.int32)[..., None],
                               axis=-1)[..., 0]
  return jnp.sum(jnp.where(mask > 0, picked, 0.0), axis=-1)
