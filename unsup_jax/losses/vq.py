"""VQ-VAE codebook and commitment losses.

van den Oord et al. (2017), arXiv:1711.00937, Eq. 3:
L = ||sg[z_e] - e||^2 + beta ||z_e - sg[e]||^2, the first moving codes to the
encoder outputs (dropped when the codebook is an EMA), the second keeping the
encoder committed to its codes (beta = 0.25 by default).
"""

import jax
import jax.numpy as jnp


def vq_loss(z: jax.Array, codes: jax.Array, *, beta: float = 0.25,
            codebook_loss: bool = True) -> tuple[jax.Array, dict]:
  """Codebook + commitment loss, mean over every element.

  Args:
    z: `[..., D]` encoder outputs.
    codes: `[..., D]` their nearest codebook rows (with gradient to the
      codebook, none to z — `quantize(...)["codes"]`).
    beta: commitment weight.
    codebook_loss: include ||sg[z] - e||^2 (False for an EMA codebook).

  Returns:
    (loss, {"loss_vq", "loss_codebook", "loss_commit"}).
  """
  commit = jnp.mean(jnp.square(z - jax.lax.stop_gradient(codes)))
  codebook = jnp.mean(jnp.square(jax.lax.stop_gradient(z) - codes))
  loss = beta * commit + (codebook if codebook_loss else 0.0)
  return loss, {"loss_vq": loss, "loss_codebook": codebook,
                "loss_commit": commit}
