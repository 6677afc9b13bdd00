"""Gated PixelCNN: an autoregressive prior over discrete code maps.

van den Oord et al. (2016), "Conditional Image Generation with PixelCNN
Decoders", arXiv:1606.05328: a vertical stack (rows above) and a horizontal
stack (the current row, to the left) of masked convolutions with gated units
tanh(a) * sigmoid(b), joined so that the receptive field has no blind spot,
and a conditioning bias added to every gated pre-activation. Used here as the
prior over VQ-VAE codes (van den Oord et al. 2017, arXiv:1711.00937) and, with
a code map as the condition, as the bottom prior of VQ-VAE-2 (Razavi et al.
2019, arXiv:1906.00446).

Causality, by construction (raster order, position (r, c)):

* the first vertical layer's k x k kernel keeps rows strictly above its
  centre, so vertical features at row r depend only on input rows < r; later
  vertical layers keep rows <= centre of those features, which keeps that
  property;
* the first horizontal layer's 1 x k kernel keeps columns strictly left of
  its centre (mask A), later ones columns <= centre (mask B); each also adds a
  1 x 1 projection of the vertical pre-activation at the same position (rows
  < r only), so horizontal features at (r, c) depend on rows < r and on
  (r, c') with c' < c: exactly the raster past;
* masked taps are multiplied by a constant 0 mask, so they contribute exactly
  nothing whatever the parameter values.
"""

from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np


def causal_mask(kernel_shape: tuple[int, int], *, vertical: bool,
                include_centre: bool) -> np.ndarray:
  """The 0/1 `[kh, kw]` mask of a vertical or horizontal stack kernel.

  Args:
    kernel_shape: `(kh, kw)`, odd sizes (horizontal kernels have kh = 1).
    vertical: rows above the centre (all columns); else the centre row, to
      the left of the centre.
    include_centre: also keep the centre row (vertical) or the centre column
      (horizontal): mask "B"; without it, mask "A".

  Returns:
    `[kh, kw]` float32 mask.
  """
  kh, kw = kernel_shape
  mask = np.zeros((kh, kw), np.float32)
  if vertical:
    mask[:kh // 2 + int(include_centre), :] = 1.0
  else:
    mask[kh // 2, :kw // 2 + int(include_centre)] = 1.0
  return mask


def _gate(x: jax.Array) -> jax.Array:
  """`[..., 2C]` -> `[..., C]`: tanh(first half) * sigmoid(second half)."""
  a, b = jnp.split(x, 2, axis=-1)
  return jnp.tanh(a) * jax.nn.sigmoid(b)


class MaskedConv(nn.Module):
  """A "SAME", stride-1 NHWC convolution whose kernel is times `causal_mask`.

  Attributes:
    features: output channels.
    kernel_shape: `(kh, kw)`, odd.
    vertical: see `causal_mask`.
    include_centre: see `causal_mask`.
  """
  features: int
  kernel_shape: tuple[int, int]
  vertical: bool
  include_centre: bool

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """`[B, H, W, C_in]` -> `[B, H, W, features]`."""
    mask = causal_mask(self.kernel_shape, vertical=self.vertical,
                       include_centre=self.include_centre)[:, :, None, None]
    fan_in = max(int(mask.sum()), 1) * x.shape[-1]

    def init(key, shape, dtype=jnp.float32):
      # LeCun normal over the taps the mask keeps.
      return jax.random.normal(key, shape, dtype) * mask / np.sqrt(fan_in)

    kernel = self.param("kernel", init,
                        (*self.kernel_shape, x.shape[-1], self.features))
    bias = self.param("bias", nn.initializers.zeros, (self.features,))
    y = jax.lax.conv_general_dilated(
        x, kernel * mask, window_strides=(1, 1), padding="SAME",
        dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return y + bias


class GatedLayer(nn.Module):
  """One gated layer of both stacks (van den Oord et al. 2016, Fig. 2).

  Attributes:
    channels: C, feature channels of both stacks.
    kernel_size: k (odd).
    first: mask A (the input layer: no access to the current position, no
      residual); else mask B with a residual on the horizontal stack.
  """
  channels: int
  kernel_size: int
  first: bool = False

  @nn.compact
  def __call__(self, v: jax.Array, h: jax.Array, cond: jax.Array | None
               ) -> tuple[jax.Array, jax.Array]:
    """Vertical `[B, H, W, C_v]`, horizontal `[B, H, W, C_h]`, optional
    conditioning features `[B, H, W, C_c]` -> new `(v, h)`, `[B, H, W, C]`."""
    c, k = self.channels, self.kernel_size
    v_pre = MaskedConv(2 * c, (k, k), vertical=True,
                       include_centre=not self.first, name="v_conv")(v)
    h_pre = MaskedConv(2 * c, (1, k), vertical=False,
                       include_centre=not self.first, name="h_conv")(h)
    if cond is not None:
      v_pre = v_pre + nn.Dense(2 * c, name="cond_v")(cond)
      h_pre = h_pre + nn.Dense(2 * c, name="cond_h")(cond)
    # The vertical pre-activation at (r, c) only saw rows < r: safe to add.
    h_pre = h_pre + nn.Dense(2 * c, name="v_to_h")(v_pre)
    h_out = nn.Dense(c, name="h_out")(_gate(h_pre))
    if not self.first:
      h_out = h_out + h
    return _gate(v_pre), h_out


class GatedPixelCNN(nn.Module):
  """Logits of p(x_p | x_<p, cond) over a `[B, H, W]` map of codes.

  Attributes:
    num_codes: K; codes are ints in [0, K), logits are over K.
    channels: feature channels of both stacks.
    num_layers: gated (mask B) layers after the first (mask A) layer.
    kernel_size: odd, >= 3.
    num_cond_codes: > 0 to take a conditioning code map `cond` (e.g. the
      VQ-VAE-2 top codes) with values in [0, num_cond_codes).
    cond_channels: channels of the conditioning stack.
  """
  num_codes: int
  channels: int = 64
  num_layers: int = 6
  kernel_size: int = 3
  num_cond_codes: int = 0
  cond_channels: int = 32

  def _condition(self, cond: jax.Array, height: int, width: int) -> jax.Array:
    """`[B, h, w]` codes -> `[B, H, W, cond_channels]` (non-causal)."""
    y = nn.Embed(self.num_cond_codes, self.cond_channels, name="cond_embed")(
        cond.astype(jnp.int32))
    y = jax.image.resize(y, (y.shape[0], height, width, y.shape[-1]),
                         method="nearest")
    for i in range(2):
      y = nn.relu(nn.Conv(self.cond_channels, (3, 3), padding="SAME",
                          name=f"cond_conv_{i}")(y))
    return y

  @nn.compact
  def __call__(self, codes: jax.Array, cond: jax.Array | None = None
               ) -> jax.Array:
    """Causal logits.

    Args:
      codes: `[B, H, W]` int codes in [0, num_codes).
      cond: `[B, h, w]` int codes in [0, num_cond_codes), any h, w (resized
        to H x W, nearest); required iff num_cond_codes > 0.

    Returns:
      `[B, H, W, num_codes]` float32 logits; those at position p depend only
      on codes before p in raster order (and on all of cond).

    Raises:
      ValueError: bad shapes or sizes, or cond given/missing against
        num_cond_codes.
    """
    if self.num_codes < 1 or self.kernel_size < 3 or self.kernel_size % 2 == 0:
      raise ValueError(f"need num_codes >= 1 and an odd kernel_size >= 3, got "
                       f"{self.num_codes}, {self.kernel_size}")
    if codes.ndim != 3:
      raise ValueError(f"codes must be [B, H, W], got shape {codes.shape}")
    if cond is not None and self.num_cond_codes <= 0:
      raise ValueError("cond given but num_cond_codes is 0")
    if cond is None and self.num_cond_codes > 0:
      raise ValueError(f"num_cond_codes={self.num_cond_codes} needs a cond")
    if cond is not None and (cond.ndim != 3 or cond.shape[0] != codes.shape[0]):
      raise ValueError(f"cond must be [B, h, w] with B={codes.shape[0]}, got "
                       f"shape {cond.shape}")
    _, height, width = codes.shape
    features = None
    if cond is not None:
      features = self._condition(cond, height, width)
    x = nn.Embed(self.num_codes, self.channels, name="embed")(
        codes.astype(jnp.int32))
    v, h = GatedLayer(self.channels, self.kernel_size, first=True,
                      name="layer_0")(x, x, features)
    for i in range(1, self.num_layers + 1):
      v, h = GatedLayer(self.channels, self.kernel_size,
                        name=f"layer_{i}")(v, h, features)
    y = nn.Dense(self.channels, name="head_0")(nn.relu(h))
    y = nn.Dense(self.num_codes, name="head_1")(nn.relu(y))
    return y.astype(jnp.float32)


def sample(apply_fn: Callable[[jax.Array, jax.Array | None], jax.Array],
           key: jax.Array, batch_size: int, shape: tuple[int, int],
           cond: jax.Array | None = None, *,
           temperature: float = 1.0) -> jax.Array:
  """Draws code maps in raster order, one forward pass per position.

  Jit-able with `batch_size`, `shape` (and `apply_fn`) static; `temperature`
  may be static or traced.

  Args:
    apply_fn: `(codes [B, H, W], cond) -> logits [B, H, W, K]`, causal, e.g.
      `lambda c, y: model.apply({"params": params}, c, y)`.
    key: PRNG key; position i draws with `fold_in(key, i)`.
    batch_size: B.
    shape: `(H, W)`.
    cond: passed to apply_fn unchanged (`[B, h, w]` or None).
    temperature: >= 0; logits are divided by it; 0 is greedy (argmax). A
      Python number picks one branch at trace time; an array computes both.

  Returns:
    `[B, H, W]` int32 codes.
  """
  height, width = shape
  static = isinstance(temperature, (int, float))
  if static and temperature < 0:
    raise ValueError(f"temperature must be >= 0, got {temperature}")

  def body(i, codes):
    r, c = i // width, i % width
    logits = apply_fn(codes, cond)[:, r, c].astype(jnp.float32)    # [B, K]
    greedy = jnp.argmax(logits, axis=-1)
    if static and temperature == 0:
      return codes.at[:, r, c].set(greedy.astype(jnp.int32))
    t = jnp.maximum(jnp.asarray(temperature, jnp.float32), 1e-30)
    new = jax.random.categorical(jax.random.fold_in(key, i), logits / t,
                                 axis=-1)
    if not static:
      new = jnp.where(jnp.asarray(temperature) > 0, new, greedy)
    return codes.at[:, r, c].set(new.astype(jnp.int32))

  codes = jnp.zeros((batch_size, height, width), jnp.int32)
  return jax.lax.fori_loop(0, height * width, body, codes)
