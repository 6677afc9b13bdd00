"""Principal component analysis as a closed-form method.

Pearson (1901), Phil. Mag. 2(11); Hotelling (1933), J. Educ. Psychol. 24.
The training images, flattened to `[N, D]`, are fitted once: by the
SVD of the centred data, or with `pca.streaming` from covariance sums
accumulated over batches of `pca.batch_size`. The test set is then
reconstructed from its first k components for every k in
`pca.eval_components`. Maths: `ops/pca.py`; figures: `viz/pca.py`.

The fit is the method's one phase, a whole-data hook: it runs once and is
checkpointed, so a second run on the workdir reuses it. Config
(`configs/pca.py`): `num_components` (K kept), `streaming`, `batch_size`,
`eval_components` (each in [1, K]).
"""

import functools
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.errors import UserError
from unsup_jax.ops import pca
from unsup_jax.training.contract import Hook, Method
from unsup_jax.training.state import TrainState
from unsup_jax.viz import figures as viz
from unsup_jax.viz import pca as pca_viz

NUM_SHOWN = 10
NUM_COMPONENT_IMAGES = 32


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


def flat(images) -> np.ndarray:
  return np.asarray(images, np.float32).reshape(len(images), -1)


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


def empty_state(dim: int, num_components: int) -> pca.PCAState:
  """Zeros shaped like a fitted `PCAState` (the state before the fit)."""
  f32 = lambda *shape: jnp.zeros(shape, jnp.float32)
  return pca.PCAState(mean=f32(dim), components=f32(num_components, dim),
                      explained_variance=f32(num_components),
                      explained_variance_ratio=f32(num_components),
                      total_variance=f32(), num_examples=jnp.zeros((),
                                                                    jnp.int32))


def init(key, batch, *, dim: int, num_components: int) -> TrainState:
  """The state before the fit: zeros shaped like the fitted PCA."""
  del batch
  return TrainState(step=jnp.zeros((), jnp.int32),
                    params=empty_state(dim, num_components), opt_state=(),
                    key=key)


def fit_hook(state, data, key, *, p):
  """The whole-data phase: PCA of the training split's images."""
  del key  # Deterministic.
  fitted = fit_images(data.split("train")["image"], p.num_components,
                      streaming=p.streaming, batch_size=p.batch_size)
  return state.replace(params=jax.device_get(fitted))


def evaluate(state, data, key, *, full: bool, p, image_shape):
  """Held-out reconstruction MSE per pixel at each k; `evr_k` is the
  fraction of the training variance the first k components explain."""
  del key, full
  test = data.split("test")
  pca_state = state.params
  x = flat(test["image"])
  k_max, eval_ks = p.num_components, tuple(sorted(set(p.eval_components)))
  ratios = np.cumsum(np.asarray(pca_state.explained_variance_ratio,
                                np.float64))
  out = {"num_components": k_max}
  for k in eval_ks + (k_max,):
    rec = np.asarray(pca.reconstruct(pca.truncate(pca_state, k), x))
    out[f"mse_k{k}"] = float(np.mean((x - rec) ** 2))
    out[f"evr_k{k}"] = float(ratios[k - 1])
  test_var = float(np.mean((x - np.asarray(pca_state.mean)) ** 2))
  out["mse"], out["evr"] = out[f"mse_k{k_max}"], out[f"evr_k{k_max}"]
  out["heldout_evr"] = 1.0 - out["mse"] / max(test_var, 1e-30)
  shown = np.asarray(test["image"][:NUM_SHOWN])
  ks = eval_ks or (k_max,)
  outputs = {
      "shown": shown,
      "recons": {k: np.asarray(pca.reconstruct(
          pca.truncate(pca_state, k), x[:NUM_SHOWN])).reshape(shown.shape)
                 for k in ks},
      "codes": np.asarray(pca.transform(pca.truncate(pca_state,
                                                     min(2, k_max)), x)),
      "labels": test.get("label"),
      "mse_curve": np.asarray(heldout_mse_curve(pca_state, x)),
      "components": np.asarray(pca_state.components[:NUM_COMPONENT_IMAGES]
                               ).reshape((-1,) + tuple(image_shape)),
      "ratio": np.asarray(pca_state.explained_variance_ratio),
      "marks": eval_ks,
  }
  return out, outputs


def figures(outputs, outdir):
  path = lambda name: os.path.join(outdir, f"{name}.png")
  return {
      "components": pca_viz.components(
          outputs["components"], path("components"),
          variance_ratio=outputs["ratio"]),
      "explained_variance": pca_viz.explained_variance(
          outputs["ratio"], path("explained_variance"),
          marks=outputs["marks"], heldout_mse=outputs["mse_curve"]),
      "reconstructions": pca_viz.reconstructions_by_k(
          outputs["shown"], outputs["recons"], path("reconstructions")),
      "latent_space": viz.latent_scatter(
          outputs["codes"], outputs["labels"], path("latent_space"),
          title="Test images on the first two principal components"),
  }


def report_notes(results, outputs, *, eval_ks):
  del outputs
  rows = ["| k | held-out MSE / pixel | explained variance (train) |",
          "| ---: | ---: | ---: |"]
  for k in eval_ks:
    mse, evr = results.get(f"test_mse_k{k}"), results.get(f"test_evr_k{k}")
    if mse is not None and evr is not None:
      rows.append(f"| {k} | {mse:.4f} | {100 * evr:.1f}% |")
  return ["Reconstruction of the test set from its first k principal "
          "components:\n\n" + "\n".join(rows)]


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """The PCA method for the images of `spec`: one whole-data phase."""
  p = config.pca
  image_shape = spec.image_shape
  dim = int(np.prod(image_shape))
  if p.num_components > dim:
    raise UserError(f"config.pca.num_components must be an integer in "
                    f"[1, {dim}] (the pixels per image), got "
                    f"{p.num_components!r}")
  fingerprint = {"method": "pca", "num_components": p.num_components,
                 "streaming": p.streaming, "batch_size": p.batch_size,
                 "image_shape": list(image_shape)}
  return Method(
      init=functools.partial(init, dim=dim, num_components=p.num_components),
      phases=(Hook("fit", functools.partial(fit_hook, p=p)),),
      evaluate=functools.partial(evaluate, p=p, image_shape=image_shape),
      figures=figures, fingerprint=fingerprint,
      report_notes=functools.partial(report_notes, eval_ks=tuple(
          sorted(set(p.eval_components)))))
