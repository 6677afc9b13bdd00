"""Reconstruction losses for autoencoders.

Mean squared error and binary cross-entropy on logits — the two classical
autoencoder objectives (Hinton & Salakhutdinov 2006, "Reducing the
dimensionality of data with neural networks", Science 313).
"""

import math

import jax
import jax.numpy as jnp

from unsup_jax.ops import distributions


def squared_error(x: jax.Array, x_hat: jax.Array) -> jax.Array:
  """Per-example sum of squared errors. `[B, ...]` x2 -> `[B]`."""
  diff = jnp.square(x - x_hat)
  return jnp.sum(diff, axis=tuple(range(1, diff.ndim)))


def mse_per_pixel(x: jax.Array, x_hat: jax.Array) -> jax.Array:
  """Per-example mean squared error per pixel. `[B, ...]` -> `[B]`."""
  return squared_error(x, x_hat) / math.prod(x.shape[1:])


def bce_with_logits(x: jax.Array, logits: jax.Array) -> jax.Array:
  """Per-example binary cross-entropy summed over pixels. -> `[B]`."""
  return -distributions.bernoulli_log_prob(x, logits)


def reconstruction_loss(x: jax.Array, decoder_out: jax.Array, *,
                        kind: str = "bce") -> tuple[jax.Array, dict]:
  """Mean reconstruction loss over the batch.

  Args:
    x: `[B, H, W, C]` targets in [0, 1].
    decoder_out: `[B, H, W, C]` logits (kind "bce") or values (kind "mse").
    kind: "bce" (summed over pixels) or "mse" (summed squared error).

  Returns:
    (loss, {"loss", "loss_rec", "mse"}) with `mse` per pixel.
  """
  if kind == "bce":
    per_example = bce_with_logits(x, decoder_out)
    x_hat = jax.nn.sigmoid(decoder_out)
  elif kind == "mse":
    per_example = squared_error(x, decoder_out)
    x_hat = decoder_out
  else:
    raise ValueError(f"unknown reconstruction loss {kind!r}")
  loss = jnp.mean(per_example)
  return loss, {"loss": loss, "loss_rec": loss,
                "mse": jnp.mean(mse_per_pixel(x, x_hat))}
