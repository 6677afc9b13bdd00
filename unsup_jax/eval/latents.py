"""What the latent figures of any model with an encoder and a decoder show:
reconstructions, interpolations, codes and, for models with a prior,
samples and traversals (`viz/latents.py` plots them).

`latent_outputs` runs the decoder (in a method's `evaluate`); the figures
only plot its arrays.
"""

from typing import Callable, Sequence

import numpy as np

NUM_SHOWN = 10
TRAVERSAL_VALUES = np.linspace(-3.0, 3.0, 9)


def interpolation_grid(codes: np.ndarray, decode: Callable, *,
                       num_pairs: int = 5, num_steps: int = 10) -> np.ndarray:
  """Decodes straight lines between the codes of consecutive test images.

  Returns:
    `[P, S, H, W, C]` images; pair p goes from image 2p to image 2p + 1.
  """
  pairs = min(num_pairs, codes.shape[0] // 2)
  t = np.linspace(0.0, 1.0, num_steps)[None, :, None]
  a, b = codes[0:2 * pairs:2, None], codes[1:2 * pairs:2, None]
  line = ((1 - t) * a + t * b).reshape(pairs * num_steps, -1)
  out = np.asarray(decode(line))
  return out.reshape((pairs, num_steps) + out.shape[1:])


def traversal_grid(base_code: np.ndarray, dims: Sequence[int],
                   decode: Callable, values: np.ndarray) -> np.ndarray:
  """Moves one latent unit at a time over `values`, others fixed at base.

  Returns:
    `[L, S, H, W, C]` images for the L units in `dims`.
  """
  codes = np.repeat(base_code[None, None], len(dims), 0)
  codes = np.repeat(codes, len(values), 1)                    # [L, S, D]
  for row, d in enumerate(dims):
    codes[row, :, d] = values
  out = np.asarray(decode(codes.reshape(-1, codes.shape[-1])))
  return out.reshape((len(dims), len(values)) + out.shape[1:])


def latent_outputs(*, images: np.ndarray, labels, codes: np.ndarray,
                   decode: Callable, prior_samples=None,
                   traversal_dims: Sequence[int] | None = None) -> dict:
  """Everything `viz.latents.latent_figures` shows, computed with `decode`
  (`[B, D] -> images`): reconstructions of the first test images,
  interpolations, the codes and labels and, for models with a prior,
  samples and traversals."""
  out = {"shown": np.asarray(images[:NUM_SHOWN]),
         "recons": np.asarray(decode(codes[:NUM_SHOWN])),
         "interpolations": interpolation_grid(codes, decode),
         "codes": np.asarray(codes),
         "labels": None if labels is None else np.asarray(labels)}
  if prior_samples is not None:
    out["prior_samples"] = np.asarray(prior_samples)
  if traversal_dims is not None:
    dims = list(traversal_dims)[:NUM_SHOWN]
    out["traversal_dims"] = np.asarray(dims)
    out["traversals"] = traversal_grid(codes[0], dims, decode,
                                       TRAVERSAL_VALUES)
  return out
