"""Pure maths, no Flax: distributions, quantisation, PCA, masks, corruption,
schedules, moving averages, the Kalman filter."""

from unsup_jax.ops import (averaging, corruption, distributions, kalman,
                           masks, pca, quantize, schedules)

__all__ = ["averaging", "corruption", "distributions", "kalman", "masks",
           "pca", "quantize", "schedules"]
