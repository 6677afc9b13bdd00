"""An autoencoder whose code layer is driven to binary: semantic hashing.

Salakhutdinov & Hinton (2009), "Semantic hashing", International Journal of
Approximate Reasoning 50(7). The code layer is a layer of logistic units; to
make it binary, Gaussian noise is added to its inputs (the code logits)
during training (the paper uses variance 16, i.e. std 4), so the decoder only
gets information through units driven far from 0.5. The alternative
"straight_through" mode thresholds in the forward pass and passes the
gradient of the sigmoid backwards (Bengio et al. 2013, arXiv:1308.3432).

At evaluation a code is `sigmoid(logits) > 0.5`, computed as `logits > 0`
(the same set, without float rounding of sigmoid near 0.5).
"""

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from unsup_jax.models.networks import Decoder, Encoder

CODE_MODES = ("noisy_sigmoid", "straight_through")


def binary_codes(logits: jax.Array) -> jax.Array:
  """Hard codes `sigmoid(logits) > 0.5`. `[B, K]` -> `[B, K]` uint8 in {0, 1}."""
  return (logits > 0).astype(jnp.uint8)


def noisy_sigmoid_code(keys: jax.Array, logits: jax.Array, *,
                       noise_std: float) -> jax.Array:
  """`sigmoid(logits + noise_std * eps)`, eps ~ N(0, I) drawn per example.

  Args:
    keys: `[B]` PRNG keys, one per example (see
      `ops.distributions.per_example_keys`).
    logits: `[B, K]` code logits.
    noise_std: standard deviation of the noise on the logits.

  Returns:
    `[B, K]` code probabilities in (0, 1), differentiable in `logits`.
  """
  eps = jax.vmap(lambda k: jax.random.normal(k, logits.shape[1:],
                                             logits.dtype))(keys)
  return jax.nn.sigmoid(logits + noise_std * eps)


def straight_through_code(logits: jax.Array) -> jax.Array:
  """Forward: hard 0/1 codes; backward: the gradient of `sigmoid(logits)`.

  Args:
    logits: `[B, K]` code logits.

  Returns:
    `[B, K]` float codes equal to `binary_codes(logits)`, whose derivative
    with respect to `logits` is that of the sigmoid.
  """
  soft = jax.nn.sigmoid(logits)
  hard = binary_codes(logits).astype(soft.dtype)
  return soft + jax.lax.stop_gradient(hard - soft)


def train_code(logits: jax.Array, keys: jax.Array | None, *, mode: str,
               noise_std: float) -> jax.Array:
  """The code fed to the decoder during training.

  Args:
    logits: `[B, K]` code logits.
    keys: `[B]` per-example keys (used by "noisy_sigmoid" only).
    mode: one of `CODE_MODES`.
    noise_std: noise std of "noisy_sigmoid".

  Returns:
    `[B, K]` float codes.
  """
  if mode == "noisy_sigmoid":
    return noisy_sigmoid_code(keys, logits, noise_std=noise_std)
  if mode == "straight_through":
    return straight_through_code(logits)
  raise ValueError(f"unknown code mode {mode!r}; use {CODE_MODES}")


class HashingAutoencoder(nn.Module):
  """Image -> `bits` code logits -> (binary) code -> image logits.

  Attributes:
    kind: "mlp" or "conv" trunks.
    encoder_hidden: encoder widths (or channels).
    decoder_hidden: decoder widths (or channels), from the code outwards.
    bits: code length K.
    image_shape: `(H, W, C)`.
  """
  kind: str
  encoder_hidden: Sequence[int]
  decoder_hidden: Sequence[int]
  bits: int
  image_shape: tuple[int, int, int]

  def setup(self):
    self.encoder = Encoder(self.kind, self.encoder_hidden, self.bits)
    self.decoder = Decoder(self.kind, self.decoder_hidden, self.image_shape)

  def code_logits(self, x: jax.Array) -> jax.Array:
    """`[B, H, W, C]` -> `[B, K]` logits of the code units."""
    return self.encoder(x)

  def decode(self, code: jax.Array) -> jax.Array:
    """`[B, K]` codes in [0, 1] -> `[B, H, W, C]` pixel logits."""
    return self.decoder(code)

  def __call__(self, x: jax.Array) -> jax.Array:
    """Deterministic pass through the hard code: `[B, H, W, C]` -> logits."""
    return self.decode(binary_codes(self.code_logits(x)).astype(x.dtype))
