"""Spectral normalisation as a Flax wrapper around any layer.

`SpectralNorm(layer)` divides every kernel of `layer` (each parameter of
rank >= 2; biases are left alone) by its largest singular value, estimated
by `ops.spectral.power_iteration` (Miyato et al. 2018, arXiv:1802.05957).
The power-iteration vectors are state, not parameters: they live in the
`"spectral"` collection, which the caller keeps beside the parameters (a
GAN keeps it in `TrainState.extra`) and passes back mutable when
`update=True`, so that a checkpoint holds them and a resumed run continues
the same iteration. They are computed from the parameters alone, so every
device of a replicated step computes the same vectors without a reduction.

    sn = SpectralNorm(nn.Dense(8))
    variables = sn.init(key, x, update=False)   # params + spectral
    y, new = sn.apply(variables, x, update=True, mutable=["spectral"])
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from unsup_jax.ops import spectral

COLLECTION = "spectral"


class SpectralNorm(nn.Module):
  """`layer` with spectrally normalised kernels.

  Attributes:
    layer: the wrapped module (called with the wrapper's arguments).
    num_steps: power iterations per call.
  """
  layer: nn.Module
  num_steps: int = 1

  @nn.compact
  def __call__(self, *args, update: bool, **kwargs):
    initialising = self.is_initializing()

    def normalise(path, kernel):
      if kernel.ndim < 2:
        return kernel
      name = "/".join(str(getattr(p, "key", p)) for p in path[1:])
      matrix = spectral.as_matrix(kernel)
      u = self.variable(
          COLLECTION, name,
          lambda: spectral._normalise(jax.random.normal(  # pylint: disable=protected-access
              self.make_rng("params"), (matrix.shape[-1],), kernel.dtype)))
      sigma, new_u = spectral.power_iteration(matrix, u.value,
                                              self.num_steps)
      if update and not initialising:
        u.value = new_u
      return kernel / jnp.where(sigma > 0, sigma, 1.0)

    return nn.map_variables(
        lambda layer: layer(*args, **kwargs), "params",
        trans_in_fn=lambda tree: jax.tree_util.tree_map_with_path(
            normalise, tree),
        init=initialising, mutable=True)(self.layer)
