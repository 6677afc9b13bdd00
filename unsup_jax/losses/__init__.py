"""Pure objectives returning (loss, metrics): ELBO, reconstruction,
sparsity, vector quantisation, adversarial losses and penalties, the
TD-VAE bound."""

from unsup_jax.losses import (adversarial, categorical, elbo,
                              gradient_penalty, reconstruction, sparsity,
                              tdvae, vq)

__all__ = ["adversarial", "categorical", "elbo", "gradient_penalty",
           "reconstruction", "sparsity", "tdvae", "vq"]
