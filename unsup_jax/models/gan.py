"""DCGAN generator and discriminator.

Radford et al. (2016), "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks", arXiv:1511.06434: the
generator projects a noise vector to a small feature map and doubles its
size with 4x4 stride-2 transposed convolutions, batch-normalised with ReLU;
the discriminator mirrors it with strided convolutions and leaky ReLU.

The discriminator's strided convolutions are `nn.conv.DownConv2x` (the
same layer as a matmul), whose second derivatives, needed by the gradient
penalties, are fast on every backend. It has no batch normalisation: each example's score depends
on that example alone, which the gradient penalties of WGAN-GP and R1
(`losses/gradient_penalty.py`) assume. The generator's batch normalisation
averages its statistics over every device of the batch (`axis_name`), so
the pmap step equals the single-device one; its running averages are used
when sampling for evaluation.
"""

import flax.linen as nn
import jax

from unsup_jax.nn.conv import DownConv2x, UpConv2x
from unsup_jax.nn.spectral_norm import SpectralNorm


class Generator(nn.Module):
  """`[B, Z]` noise -> `[B, H, W, C]` images in [0, 1].

  Attributes:
    image_shape: `(H, W, C)`; H and W divisible by 2^num_up.
    channels: channels of the first feature map (halved at each upsampling).
    num_up: stride-2 upsamplings.
  """
  image_shape: tuple[int, int, int]
  channels: int = 128
  num_up: int = 2

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool,
               axis_name: str | None = None) -> jax.Array:
    h, w, c = self.image_shape
    scale = 2 ** self.num_up
    if h % scale or w % scale:
      raise ValueError(f"image size {h}x{w} is not divisible by {scale}")
    norm = lambda name: nn.BatchNorm(use_running_average=not train,
                                     momentum=0.9, axis_name=axis_name,
                                     name=name)
    # No biases before batch normalisation: it removes them (their gradient
    # is round-off, which Adam would turn into steps).
    x = nn.Dense((h // scale) * (w // scale) * self.channels, use_bias=False,
                 name="project")(z)
    x = nn.relu(norm("norm_project")(x))
    x = x.reshape(z.shape[0], h // scale, w // scale, self.channels)
    ch = self.channels
    for i in range(self.num_up - 1):
      ch //= 2
      x = nn.relu(norm(f"norm_{i}")(UpConv2x(ch, use_bias=False,
                                             name=f"up_{i}")(x)))
    x = UpConv2x(c, name=f"up_{self.num_up - 1}")(x)
    return nn.sigmoid(x)


class Discriminator(nn.Module):
  """`[B, H, W, C]` images -> `[B]` logits (scores for WGAN critics).

  Attributes:
    channels: channels of the first strided convolution (doubled after).
    num_down: stride-2 convolutions.
    spectral_norm: divide every kernel by its largest singular value
      (`nn.spectral_norm`; Miyato et al. 2018). Its power-iteration vectors
      are the `"spectral"` collection, advanced when `update=True`.
  """
  channels: int = 64
  num_down: int = 2
  spectral_norm: bool = False

  @nn.compact
  def __call__(self, x: jax.Array, *, update: bool = False) -> jax.Array:
    wrap = ((lambda layer, h: SpectralNorm(layer)(h, update=update))
            if self.spectral_norm else (lambda layer, h: layer(h)))
    ch = self.channels
    for i in range(self.num_down):
      x = nn.leaky_relu(wrap(DownConv2x(ch, name=f"conv_{i}"), x), 0.2)
      ch *= 2
    x = x.reshape(x.shape[0], -1)
    return wrap(nn.Dense(1, name="out"), x)[:, 0]
