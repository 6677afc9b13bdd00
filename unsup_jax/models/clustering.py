"""The network of IIC (Ji et al. 2019): a trunk shared by two sets of
softmax heads, the main heads with as many outputs as clusters and the
over-clustering heads with more (`methods/clustering/iic.py`).

Only wiring lives here; the loss is `losses/clustering.iic_loss`.
"""

from typing import Sequence

import flax.linen as nn
import jax

from unsup_jax.nn.conv import ConvEncoder
from unsup_jax.nn.mlp import MLP


class IICNet(nn.Module):
  """`[B, H, W, C]` images -> `(main [B, heads, K], over [B, heads, K_over])`
  logits.

  Attributes:
    trunk: "mlp" (ReLU layers of `hidden` on the flat pixels) or "conv"
      (stride-2 convolutions of `channels`, then ReLU layers of `hidden`).
    hidden: widths of the trunk's dense layers.
    channels: channels of the conv trunk's convolutions.
    num_clusters: K, outputs of each main head.
    overclusters: K_over, outputs of each over-clustering head.
    num_heads: sub-heads of each kind (trained alike, from their own
      initialisations; the evaluation keeps the most informative).
  """
  trunk: str
  hidden: Sequence[int]
  channels: Sequence[int]
  num_clusters: int
  overclusters: int
  num_heads: int

  @nn.compact
  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    if self.trunk == "conv":
      h = ConvEncoder(tuple(self.channels), name="conv")(x)
    else:
      h = x.reshape(x.shape[0], -1)
    h = MLP(tuple(self.hidden), activate_final=True, name="trunk")(h)
    main = nn.Dense(self.num_heads * self.num_clusters, name="main")(h)
    over = nn.Dense(self.num_heads * self.overclusters, name="over")(h)
    return (main.reshape(x.shape[0], self.num_heads, self.num_clusters),
            over.reshape(x.shape[0], self.num_heads, self.overclusters))
