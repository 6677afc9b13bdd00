"""Pure maths, no Flax: distributions, quantisation, PCA, masks, corruption,
schedules, moving averages."""

from unsup_jax.ops import (averaging, corruption, distributions, masks, pca,
                           quantize, schedules)

__all__ = ["averaging", "corruption", "distributions", "masks", "pca",
           "quantize", "schedules"]
