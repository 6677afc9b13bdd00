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


class GatedGaussian(nn.Module):
  """A diagonal Gaussian's parameters from one gated hidden layer:
  h = tanh(W1 x + b1) * sigmoid(W2 x + b2), mean = W3 h + b3, logvar =
  W4 h + b4 (the block that parameterises every distribution of TD-VAE;
  Gregor et al. 2019, arXiv:1806.03107, Appendix A, which outputs log
  sigma = logvar / 2).

  Attributes:
    hidden: width of h.
    features: dimension of the Gaussian.
  """
  hidden: int
  features: int

  @nn.compact
  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """`[B, D_in]` -> (mean, logvar), each `[B, features]`."""
    h = nn.tanh(nn.Dense(self.hidden, name="value")(x)) * nn.sigmoid(
        nn.Dense(self.hidden, name="gate")(x))
    return (nn.Dense(self.features, name="mean")(h),
            nn.Dense(self.features, name="logvar")(h))
