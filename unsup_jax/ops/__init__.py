"""Pure maths, no Flax: distributions, quantisation, PCA, masks, corruption,
schedules."""

from unsup_jax.ops import (corruption, distributions, masks, pca, quantize,
                           schedules)

__all__ = ["corruption", "distributions", "masks", "pca", "quantize",
           "schedules"]
