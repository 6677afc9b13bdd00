"""Losses of semantic inpainting with a generative prior.

Yeh et al. (2017), "Semantic Image Inpainting with Deep Generative Models",
CVPR, arXiv:1607.07539: a trained generator G is kept fixed and its latent
z is fitted to the known pixels y of a damaged image,

    z* = argmin_z  L_c(z) + lambda L_p(z),

with the contextual loss L_c(z) = || W * (G(z) - y) ||_1 weighted by W,
each known pixel's weight being the fraction of its w x w neighbourhood
that lies in the hole (far-away pixels say little about the hole; hole
pixels have weight 0), and the perceptual loss L_p(z) that keeps G(z) on
the data manifold by the discriminator: the paper's log(1 - D(G(z))), here
in its non-saturating form -log D(G(z)) (the same minimiser, and a
gradient that does not vanish where D rejects G(z)). The hole is then
filled from G(z*).

Masks are `[B, H, W, 1]`, 1 = missing (as in `ops/masks.py`).
"""

import jax
import jax.numpy as jnp


def contextual_weights(mask: jax.Array, window: int = 7) -> jax.Array:
  """`[B, H, W, 1]` weights: for a known pixel, the fraction of its
  `window` x `window` neighbourhood (zero-padded at the border, counted as
  known) in the hole; 0 on the hole.

  Raises:
    ValueError: an even or non-positive window.
  """
  if window < 1 or window % 2 == 0:
    raise ValueError(f"the contextual window must be odd and >= 1, got "
                     f"{window}")
  holes = jax.lax.reduce_window(mask, 0.0, jax.lax.add,
                                (1, window, window, 1), (1, 1, 1, 1), "SAME")
  return (1.0 - mask) * holes / (window * window)


def contextual_loss(generated: jax.Array, images: jax.Array,
                    weights: jax.Array) -> jax.Array:
  """`[B]`: sum over pixels and channels of weights * |G(z) - y|."""
  diff = jnp.abs(generated - images) * weights
  return jnp.sum(diff.reshape(diff.shape[0], -1), axis=1)


def perceptual_loss(logits: jax.Array) -> jax.Array:
  """`[B]`: -log D(G(z)) from the discriminator's logits `[B]`."""
  return jax.nn.softplus(-logits)
