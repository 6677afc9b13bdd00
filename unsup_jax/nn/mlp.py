"""Multi-layer perceptron (Flax Linen)."""

from typing import Callable, Sequence

import flax.linen as nn
import jax


class MLP(nn.Module):
  """Dense layers with an activation between them.

  Attributes:
    features: output width of each layer.
    activation: non-linearity applied after every hidden layer.
    activate_final: also apply it after the last layer.
  """
  features: Sequence[int]
  activation: Callable[[jax.Array], jax.Array] = nn.relu
  activate_final: bool = False

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """`[B, D_in]` -> `[B, features[-1]]`."""
    for i, width in enumerate(self.features):
      x = nn.Dense(width, name=f"dense_{i}")(x)
      if i < len(self.features) - 1 or self.activate_final:
        x = self.activation(x)
    return x
