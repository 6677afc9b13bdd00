"""Principal component analysis as a closed-form method.

Pearson (1901), Phil. Mag. 2(11); Hotelling (1933), J. Educ. Psychol. 24.
The training images, flattened to `[N, D]`, are fitted once (`fit`): by the
SVD of the centred data, or with `pca.streaming` from covariance sums
accumulated over batches of `pca.batch_size`. The test set is then
reconstructed from its first k components for every k in
`pca.eval_components`. Maths: `ops/pca.py`; figures: `viz/pca.py`.

Config (`config.pca`): `num_components` (K kept), `streaming`, `batch_size`,
`eval_components` (each in [1, K]).
"""

import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.errors import UserError
from unsup_jax.methods import base
from unsup_jax.ops import pca
from unsup_jax.viz import figures as viz
from unsup_jax.viz import pca as pca_viz

NUM_SHOWN = 10
NUM_COMPONENT_IMAGES = 32


def _settings(config: ml_collections.ConfigDict, dim: int):
  """Checked `(K, eval_ks, streaming, batch_size)` from `config.pca`."""
  if "pca" not in config:
    raise UserError("config.pca is missing; the pca method needs "
                    "config.pca.num_components (see experiments/pca_mnist.py)")
  p = config.pca
  k = p.num_components
  if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= dim:
    raise UserError(f"config.pca.num_components must be an integer in "
                    f"[1, {dim}] (the pixels per image), got {k!r}")
  eval_ks = tuple(p.get("eval_components", ()) or ())
  for e in eval_ks:
    if isinstance(e, bool) or not isinstance(e, int) or not 1 <= e <= k:
      raise UserError(f"config.pca.eval_components must be integers in "
                      f"[1, num_components={k}], got {tuple(eval_ks)!r}")
  batch_size = p.get("batch_size", 500)
  if isinstance(batch_size, bool) or not isinstance(batch_size, int) or (
      batch_size < 1):
    raise UserError(f"config.pca.batch_size must be a positive integer, got "
                    f"{batch_size!r}")
  return k, tuple(sorted(set(eval_ks))), bool(p.get("streaming", False)), (
      batch_size)


def fit_images(images: np.ndarray, num_components: int, *,
               streaming: bool = False, batch_size: int = 500) -> pca.PCAState:
  """PCA of `[N, H, W, C]` images flattened to `[N, H * W * C]`."""
  x = np.asarray(images, np.float32).reshape(len(images), -1)
  n, d = x.shape
  if n < 2 or num_components > min(n, d):
    raise UserError(f"config.pca.num_components={num_components} needs at "
                    f"most min(training examples, pixels) = {min(n, d)} and "
                    f"at least 2 training examples (have {n})")
  if not streaming:
    return pca.fit(x, num_components)
  acc = pca.covariance_init(d)
  for start in range(0, n, batch_size):
    acc = pca.covariance_update(acc, x[start:start + batch_size])
  return pca.fit_from_covariance(acc, num_components)


@jax.jit
def heldout_mse_curve(state: pca.PCAState, x: jax.Array) -> jax.Array:
  """Per-pixel MSE `[K]` of `x [N, D]` from its first k = 1..K components."""
  centred = x - state.mean
  z = centred @ state.components.T                           # [N, K]
  # ||c - P_k c||^2 = ||c||^2 - sum_{j<=k} z_j^2 (orthonormal components).
  total = jnp.sum(centred**2, axis=1)                         # [N]
  captured = jnp.cumsum(z**2, axis=1)                         # [N, K]
  mse = jnp.mean(total[:, None] - captured, axis=0) / x.shape[1]
  return jnp.maximum(mse, 0.0)


def build(config: ml_collections.ConfigDict,
          image_shape: tuple[int, int, int]) -> base.Method:
  """The PCA method for images of `image_shape`."""
  dim = int(np.prod(image_shape))
  k_max, eval_ks, streaming, batch_size = _settings(config, dim)
  flat = lambda images: np.asarray(images, np.float32).reshape(len(images), -1)

  def fit(key, images, labels):
    del key, labels  # Deterministic and unsupervised.
    return fit_images(images, k_max, streaming=streaming,
                      batch_size=batch_size)

  def evaluate(state, images, labels, key, *, full=True):
    """Held-out reconstruction MSE per pixel at each k; `evr_k` is the
    fraction of the training variance the first k components explain."""
    del labels, key, full
    x = flat(images)
    ratios = np.cumsum(np.asarray(state.explained_variance_ratio, np.float64))
    out = {"num_components": k_max}
    for k in eval_ks + (k_max,):
      rec = np.asarray(pca.reconstruct(pca.truncate(state, k), x))
      out[f"mse_k{k}"] = float(np.mean((x - rec) ** 2))
      out[f"evr_k{k}"] = float(ratios[k - 1])
    test_var = float(np.mean((x - np.asarray(state.mean)) ** 2))
    out["mse"], out["evr"] = out[f"mse_k{k_max}"], out[f"evr_k{k_max}"]
    out["heldout_evr"] = 1.0 - out["mse"] / max(test_var, 1e-30)
    return out

  def figures(state, images, labels, key, outdir):
    del key
    path = lambda name: os.path.join(outdir, f"{name}.png")
    x = flat(images)
    shown = np.asarray(images[:NUM_SHOWN])
    ks = eval_ks or (k_max,)
    recons = {k: np.asarray(pca.reconstruct(pca.truncate(state, k),
                                            x[:NUM_SHOWN])).reshape(shown.shape)
              for k in ks}
    codes = np.asarray(pca.transform(pca.truncate(state, min(2, k_max)), x))
    mse_curve = np.asarray(heldout_mse_curve(state, x))
    components = np.asarray(state.components[:NUM_COMPONENT_IMAGES])
    return {
        "components": pca_viz.components(
            components.reshape((-1,) + tuple(image_shape)), path("components"),
            variance_ratio=np.asarray(state.explained_variance_ratio)),
        "explained_variance": pca_viz.explained_variance(
            np.asarray(state.explained_variance_ratio),
            path("explained_variance"), marks=eval_ks,
            heldout_mse=mse_curve),
        "reconstructions": pca_viz.reconstructions_by_k(
            shown, recons, path("reconstructions")),
        "latent_space": viz.latent_scatter(
            codes, labels, path("latent_space"),
            title="Test images on the first two principal components"),
    }

  def report_notes(results):
    rows = ["| k | held-out MSE / pixel | explained variance (train) |",
            "| ---: | ---: | ---: |"]
    for k in eval_ks:
      mse, evr = results.get(f"test_mse_k{k}"), results.get(f"test_evr_k{k}")
      if mse is not None and evr is not None:
        rows.append(f"| {k} | {mse:.4f} | {100 * evr:.1f}% |")
    return ["Reconstruction of the test set from its first k principal "
            "components:\n\n" + "\n".join(rows)]

  fingerprint = {"method": "pca", "num_components": k_max,
                 "eval_components": list(eval_ks), "streaming": streaming,
                 "batch_size": batch_size, "image_shape": list(image_shape)}
  return base.Method(init=None, train_step=None, evaluate=evaluate,
                     figures=figures, fingerprint=fingerprint, fit=fit,
                     report_notes=report_notes)
