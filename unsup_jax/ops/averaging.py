"""Exponential moving averages of arrays and pytrees (Polyak averaging).

    ema(average, value, decay) = decay * average + (1 - decay) * value,

leaf by leaf. After n updates towards a fixed value v the average is
v + decay^n (average_0 - v). It keeps the VQ-VAE's codebook statistics (van
den Oord et al. 2017, "Neural Discrete Representation Learning", appendix
A.1), and is the moving average of a generator's weights that GANs sample
and are evaluated with (Karras et al. 2018, "Progressive Growing of GANs";
Yazici et al. 2019, "The Unusual Effectiveness of Averaging in GAN
Training").
"""

from typing import Any

import jax


def ema(average: Any, value: Any, decay) -> Any:
  """One moving-average step of `average` towards `value`.

  Args:
    average: a pytree of arrays (the running average).
    value: a pytree of the same structure (the new value).
    decay: in [0, 1]: 0 returns `value`, 1 keeps `average`. A Python number
      is checked here; a traced one (a schedule) is the caller's to keep in
      range.

  Returns:
    The new average, with `average`'s structure.

  Raises:
    ValueError: a Python `decay` outside [0, 1].
  """
  if isinstance(decay, (int, float)) and not 0.0 <= decay <= 1.0:
    raise ValueError(f"EMA decay must be in [0, 1], got {decay!r}")
  return jax.tree.map(lambda a, v: decay * a + (1 - decay) * v, average,
                      value)
