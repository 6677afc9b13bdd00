"""Residual stacks for convolutional encoders and decoders.

The blocks of the VQ-VAE (van den Oord et al. 2017, arXiv:1711.00937,
Section 4.1): x + conv1x1(relu(conv3x3(relu(x)))), a ReLU after the stack;
the residual-network idea of He et al. (2016), arXiv:1512.03385.
"""

import flax.linen as nn
import jax


class ResidualStack(nn.Module):
  """`[B, H, W, C]` -> `[B, H, W, C]`.

  Attributes:
    num_blocks: residual blocks.
    hidden: channels inside each block (the 3x3 convolution's output).
  """
  num_blocks: int = 2
  hidden: int = 32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    channels = x.shape[-1]
    for i in range(self.num_blocks):
      h = nn.Conv(self.hidden, (3, 3), padding="SAME", name=f"conv3_{i}")(
          nn.relu(x))
      x = x + nn.Conv(channels, (1, 1), name=f"conv1_{i}")(nn.relu(h))
    return nn.relu(x)
