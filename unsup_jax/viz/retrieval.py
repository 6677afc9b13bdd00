"""Figures of Hamming-code retrieval: precision-recall curves and neighbours.

For semantic hashing (Salakhutdinov & Hinton 2009, "Semantic hashing", Int.
J. Approximate Reasoning 50(7)). Like `viz/figures.py`: numpy in, Agg
backend, the PNG written to `path + ".tmp.png"` and moved into place, the
figure closed and `path` returned.
"""

import matplotlib.pyplot as plt
import numpy as np

from unsup_jax.viz import figures as viz

_RELEVANT = np.array([0.1, 0.7, 0.2], np.float32)    # green frame
_IRRELEVANT = np.array([0.85, 0.1, 0.1], np.float32)  # red frame
_QUERY = np.array([0.2, 0.35, 0.9], np.float32)      # blue frame


def precision_recall_curves(curves, path, *,
                            title="Precision-recall of Hamming-ball retrieval"):
  """Saves several precision-recall curves on one plot.

  Args:
    curves: `{name: (recall [R], precision [R])}`, e.g. one per code type,
      points in order of increasing Hamming radius; NaN precisions (no item
      retrieved) are skipped.
    path: where to write the PNG.
    title: figure title.

  Returns:
    `path`.
  """
  if not curves:
    raise ValueError("precision_recall_curves needs at least one curve")
  fig, ax = plt.subplots(figsize=(6.0, 4.6))
  for name, (recall, precision) in curves.items():
    recall = np.asarray(recall, np.float64)
    precision = np.asarray(precision, np.float64)
    keep = np.isfinite(recall) & np.isfinite(precision)
    ax.plot(recall[keep], precision[keep], marker="o", markersize=3,
            linewidth=1.4, label=str(name))
  ax.set(xlabel="recall", ylabel="precision", xlim=(-0.02, 1.02),
         ylim=(0.0, 1.02), title=title)
  ax.grid(alpha=0.3)
  ax.legend(fontsize="small")
  fig.tight_layout()
  return viz.save_figure(fig, path)


def _unit(images, ndim):
  """Float32 images with a channel axis (added if missing), clipped to [0, 1]."""
  images = np.asarray(images, np.float32)
  if images.ndim == ndim - 1:
    images = images[..., None]
  if images.ndim != ndim or images.shape[-1] not in (1, 3):
    raise ValueError(f"expected {ndim}-axis images with 1 or 3 channels, got "
                     f"{images.shape}")
  return np.clip(np.nan_to_num(images), 0.0, 1.0)


def _framed(image, colour, width):
  """`[H, W, C]` image in [0, 1] -> `[H + 2w, W + 2w, 3]` RGB with a frame."""
  rgb = np.broadcast_to(image, image.shape[:2] + (3,))
  h, w = rgb.shape[:2]
  out = np.empty((h + 2 * width, w + 2 * width, 3), np.float32)
  out[...] = colour
  out[width:width + h, width:width + w] = rgb
  return out


def retrieval_examples(queries, retrieved, relevant, path, *, frame=2,
                       title="Queries (blue) and their nearest codes "
                             "(green: same label, red: other)"):
  """Saves one row per query: the query, then its retrieved images in order.

  Args:
    queries: `[Q, H, W, C]` query images in [0, 1] (C = 1 or 3).
    retrieved: `[Q, K, H, W, C]` retrieved images, best first.
    relevant: `[Q, K]` bool, whether each retrieved image is relevant.
    path: where to write the PNG.
    frame: frame width in pixels.
    title: figure title.

  Returns:
    `path`.
  """
  queries = _unit(queries, 4)
  retrieved = _unit(retrieved, 5)
  relevant = np.asarray(relevant, bool)
  q, k = retrieved.shape[:2]
  if len(queries) != q or relevant.shape != (q, k) or not q or not k:
    raise ValueError(f"queries {queries.shape}, retrieved {retrieved.shape} "
                     f"and relevant {relevant.shape} do not match")
  tiles = []
  for i in range(q):
    tiles.append(_framed(queries[i], _QUERY, frame))
    for j in range(k):
      tiles.append(_framed(retrieved[i, j],
                           _RELEVANT if relevant[i, j] else _IRRELEVANT, frame))
  mosaic = viz.make_mosaic(np.stack(tiles), k + 1, pad=2)
  height, width = mosaic.shape[:2]
  scale = min(6.0, max(1.0, 900.0 / max(height, width)))
  fig, ax = plt.subplots(figsize=(width * scale / 100 + 1.0,
                                  height * scale / 100 + 0.8))
  ax.imshow(mosaic, interpolation="nearest")
  size = retrieved.shape[3] + 2 * frame
  ax.set_xticks([2 + c * (size + 2) + (size - 1) / 2 for c in range(k + 1)],
                ["query"] + [str(j + 1) for j in range(k)])
  ax.set_yticks([])
  ax.tick_params(length=0)
  ax.set_title(title, fontsize="small")
  return viz.save_figure(fig, path)
