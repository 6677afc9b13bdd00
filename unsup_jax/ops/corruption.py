"""Input corruptions of the denoising autoencoder.

Vincent, Larochelle, Bengio & Manzagol (2008), "Extracting and composing
robust features with denoising autoencoders", ICML; Vincent et al. (2010),
"Stacked denoising autoencoders", JMLR 11, Section 4.1: additive isotropic
Gaussian noise, masking noise (a fraction of the pixels, chosen at random,
forced to 0) and salt-and-pepper noise (a fraction of the pixels, chosen at
random, set to 0 or 1 with equal probability).

Pixels are in [0, 1] and every corruption returns values in [0, 1]. Each
function corrupts all of `x` with one key; `corrupt_examples` gives every
example its own key, so keying by the example's global index makes a batch
split over devices draw the same noise as the whole batch on one device.
"""

import math

import jax
import jax.numpy as jnp

KINDS = ("none", "gaussian", "masking", "salt_and_pepper")


def gaussian_noise(key: jax.Array, x: jax.Array, *, std: float) -> jax.Array:
  """x + std * eps, eps ~ N(0, I), clipped to [0, 1]. Shape of `x`."""
  eps = jax.random.normal(key, x.shape, x.dtype)
  return jnp.clip(x + std * eps, 0.0, 1.0)


def random_subset(key: jax.Array, shape: tuple[int, ...],
                  fraction: float) -> jax.Array:
  """A boolean mask of `shape` with exactly round(fraction * size) True
  entries, all such subsets equally likely."""
  size = math.prod(shape)
  count = int(round(fraction * size))
  # Positions holding 0..count-1 in a uniform permutation: a uniform subset.
  return (jax.random.permutation(key, size) < count).reshape(shape)


def masking_noise(key: jax.Array, x: jax.Array, *,
                  fraction: float) -> jax.Array:
  """Sets a random `fraction` of the entries of `x` (exact count) to 0."""
  return jnp.where(random_subset(key, x.shape, fraction), 0.0, x).astype(
      x.dtype)


def salt_and_pepper(key: jax.Array, x: jax.Array, *,
                    fraction: float) -> jax.Array:
  """Sets a random `fraction` of the entries (exact count) to 0 or 1, each
  with probability 1/2."""
  subset_key, value_key = jax.random.split(key)
  salt = jax.random.bernoulli(value_key, 0.5, x.shape).astype(x.dtype)
  return jnp.where(random_subset(subset_key, x.shape, fraction), salt, x)


def corrupt(key: jax.Array, x: jax.Array, *, kind: str,
            level: float) -> jax.Array:
  """Corrupts `x` (any shape, one key) with `kind` at `level`.

  Args:
    key: PRNG key.
    x: values in [0, 1].
    kind: "none" (returns `x`), "gaussian" (level = std), "masking" or
      "salt_and_pepper" (level = fraction of entries in [0, 1]).
    level: noise level.

  Returns:
    Corrupted values of the shape of `x`, in [0, 1] (for "none": `x`).
  """
  if kind == "none":
    return x
  if kind == "gaussian":
    return gaussian_noise(key, x, std=level)
  if kind == "masking":
    return masking_noise(key, x, fraction=level)
  if kind == "salt_and_pepper":
    return salt_and_pepper(key, x, fraction=level)
  raise ValueError(f"unknown corruption {kind!r}; use {KINDS}")


def corrupt_examples(keys: jax.Array, x: jax.Array, *, kind: str,
                     level: float) -> jax.Array:
  """`corrupt` of every example with its own key.

  Args:
    keys: `[B]` keys (e.g. `distributions.per_example_keys`).
    x: `[B, H, W, C]` images in [0, 1].
    kind, level: as in `corrupt`.

  Returns:
    `[B, H, W, C]` corrupted images.
  """
  if kind == "none":
    return x
  return jax.vmap(lambda k, xi: corrupt(k, xi, kind=kind, level=level))(keys, x)


def word_dropout(key: jax.Array, tokens: jax.Array, *, rate: float,
                 unk: int, keep_below: int) -> jax.Array:
  """Bowman et al.'s (2016) word dropout of a decoder's input tokens.

  Each token with an id of at least `keep_below` (the words: markers and
  padding have the small reserved ids) is replaced by `unk` with
  probability `rate`, independently; every other token is kept. Shape and
  dtype of `tokens`.
  """
  if rate <= 0.0:
    return tokens
  drop = jax.random.bernoulli(key, rate, tokens.shape)
  return jnp.where(drop & (tokens >= keep_below), unk, tokens).astype(
      tokens.dtype)
