"""Autoencoders against PCA: held-out reconstruction error per code size.

Hinton & Salakhutdinov (2006), "Reducing the dimensionality of data with
neural networks", Science 313: a deep, non-linear autoencoder reconstructs
held-out images better than PCA (Pearson 1901; Hotelling 1933) with the same
number of code units, while a linear autoencoder can at best find PCA's
principal subspace (Baldi & Hornik 1989, Neural Networks 2).

A composite, closed-form method (`train_step=None`, `fit`): for every code
size k in `compare.sizes` it fits PCA with k components and trains, with
`training.fit.fit_method`, the autoencoders of `compare.models` (tied linear,
deep MLP, convolutional) from the experiment configs named in
`compare.experiments` (their full configs with `model.latent_dim = k`,
`train.num_steps = compare.num_steps`, gray pixels). `compare.overrides.MODEL`
is a partial config merged into that model's config (e.g.
`overrides.conv_ae.train.num_steps`). `evaluate` gives the held-out mean
squared error per pixel `mse_{model}_k{k}` of the images in [0, 1]
(sigmoid outputs for BCE-trained autoencoders, no clipping).
"""

import functools
import importlib.util
import os
import time

import jax
import ml_collections
import numpy as np

from unsup_jax.errors import UserError
from unsup_jax.eval.batched import map_batches
from unsup_jax.methods import autoencoder, base, pca as pca_method
from unsup_jax.ops import pca
from unsup_jax.training import fit as fit_lib
from unsup_jax.viz import ae_vs_pca as viz

MODELS = ("pca", "linear_ae", "deep_ae", "conv_ae")
LABELS = {"pca": "PCA", "linear_ae": "linear AE (tied)",
          "deep_ae": "deep MLP AE", "conv_ae": "conv AE"}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
FIGURE_SIZE = 10      # the code size whose reconstructions are shown
NUM_SHOWN = 10


def load_experiment(name: str) -> ml_collections.ConfigDict:
  """The full config of `experiments/NAME.py` (its `get_config()`)."""
  path = os.path.join(ROOT, "experiments", f"{name}.py")
  if not os.path.isfile(path):
    raise UserError(f"config.compare.experiments names {name!r} but "
                    f"{path} does not exist")
  spec = importlib.util.spec_from_file_location(f"experiments.{name}", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config()


def _check_overlay(target, overlay, prefix: str) -> None:
  """Raises UserError for a field of `overlay` that `target` lacks."""
  for name, value in overlay.items():
    if name not in target:
      raise UserError(f"config.compare.overrides.{prefix}{name} is not a "
                      f"field of that model's config")
    if isinstance(value, ml_collections.ConfigDict):
      _check_overlay(target[name], value, f"{prefix}{name}.")


def sizes(config: ml_collections.ConfigDict) -> tuple[int, ...]:
  """The checked, sorted code sizes `compare.sizes`."""
  ks = tuple(config.compare.sizes)
  if not ks or any(isinstance(k, bool) or not isinstance(k, int) or k < 1
                   for k in ks):
    raise UserError(f"config.compare.sizes must be positive integers, got "
                    f"{ks!r}")
  return tuple(sorted(set(ks)))


def models(config: ml_collections.ConfigDict) -> tuple[str, ...]:
  """The compared models: PCA and `compare.models` (default all), in
  MODELS order."""
  chosen = set(config.compare.get("models", MODELS) or MODELS)
  unknown = chosen - set(MODELS)
  if unknown:
    raise UserError(f"config.compare.models: unknown {sorted(unknown)}; "
                    f"choose among {', '.join(MODELS)}")
  return tuple(m for m in MODELS if m in chosen or m == "pca")


def model_config(config: ml_collections.ConfigDict, model: str,
                 k: int) -> ml_collections.ConfigDict:
  """The full config that trains autoencoder `model` with a k-unit code.

  Args:
    config: the comparison's config (seed, data batch size, eval batch size,
      `compare.*` are read).
    model: one of "linear_ae", "deep_ae", "conv_ae".
    k: the code size.

  Returns:
    Its experiment's full config with gray pixels, `compare.num_steps`
    steps, `compare.overrides[model]` merged in, and `model.latent_dim = k`.
  """
  c = config.compare
  sub = load_experiment(c.experiments[model])
  sub.seed = config.seed
  sub.data.batch_size = config.data.batch_size
  sub.data.binarize = "none"
  sub.eval.batch_size = config.eval.batch_size
  sub.train.num_steps = c.num_steps
  overlay = c.overrides.get(model) if "overrides" in c else None
  if overlay:
    _check_overlay(sub, overlay, f"{model}.")
    sub.update(overlay)
  sub.model.latent_dim = k
  return sub


def autoencoder_reconstructor(sub: ml_collections.ConfigDict, image_shape):
  """`recon(params, x [B, H, W, C]) -> x_hat [B, H, W, C]` in pixel space
  (sigmoid of the logits for a BCE-trained model)."""
  model = autoencoder.make_model(sub.model, image_shape)
  cls = type(model)
  to_image = jax.nn.sigmoid if sub.model.likelihood == "bce" else (lambda y: y)

  @jax.jit
  def recon(params, x):
    code = model.apply({"params": params}, x, method=cls.encode)
    return to_image(model.apply({"params": params}, code, method=cls.decode))
  return recon


def reconstruction_mse(recon, images: np.ndarray, batch_size: int) -> float:
  """Mean squared error per pixel of `recon([B, H, W, C])` on `images`."""
  def per_example(x):                                          # [B]
    diff = x - np.asarray(recon(x), np.float32)
    return np.mean(np.square(diff).reshape(x.shape[0], -1), axis=1)
  return float(np.mean(map_batches(per_example, np.asarray(images, np.float32),
                                   batch_size=batch_size)))


def build(config: ml_collections.ConfigDict,
          image_shape: tuple[int, int, int]) -> base.Method:
  """The AE-vs-PCA comparison for images of `image_shape`."""
  if "compare" not in config:
    raise UserError("config.compare is missing; see experiments/ae_vs_pca.py")
  if config.data.binarize != "none":
    raise UserError("ae_vs_pca compares gray-pixel reconstructions: set "
                    "config.data.binarize='none'")
  ks, shown_models = sizes(config), models(config)
  trained = shown_models[1:]
  dim = int(np.prod(image_shape))
  if ks[-1] > dim:
    raise UserError(f"config.compare.sizes must be <= {dim} (the pixels per "
                    f"image), got {ks!r}")
  subs = {(m, k): model_config(config, m, k) for m in trained for k in ks}
  for sub in subs.values():
    autoencoder.check_config(sub)
  eval_batch = config.eval.batch_size

  @functools.lru_cache(maxsize=None)
  def recon_fn(model, k):
    return autoencoder_reconstructor(subs[model, k], image_shape)

  def reconstructor(state, model: str, k: int):
    """`x [B, H, W, C] -> x_hat` of `model` at size k in the fitted state."""
    if model == "pca":
      truncated = pca.truncate(state["pca"], k)
      return lambda x: pca.reconstruct(
          truncated, x.reshape(x.shape[0], -1)).reshape(x.shape)
    return functools.partial(recon_fn(model, k), state[model][f"k{k}"].params)

  def fit(key, images, labels):
    """Fits PCA and trains every autoencoder at every size.

    Returns:
      `{"pca": PCAState with max(k) components, MODEL: {"kK": TrainState},
      "seconds": {MODEL: training time}}`.
    """
    start = time.perf_counter()
    state = {"pca": pca_method.fit_images(images, ks[-1])}
    seconds = {"pca": time.perf_counter() - start}
    for model in trained:
      i = MODELS.index(model)
      start, state[model] = time.perf_counter(), {}
      for k in ks:
        _, state[model][f"k{k}"] = fit_lib.fit_method(
            subs[model, k], images, labels,
            key=jax.random.fold_in(jax.random.fold_in(key, i), k))
      seconds[model] = time.perf_counter() - start
    state["seconds"] = seconds
    return state

  def evaluate(state, images, labels, key, *, full=True):
    """`mse_{model}_k{k}`: MSE per pixel on `images [N, H, W, C]`;
    `fit_seconds_{model}`: time to fit that model at every size."""
    del labels, key, full
    out = {}
    for model in shown_models:
      for k in ks:
        out[f"mse_{model}_k{k}"] = reconstruction_mse(
            reconstructor(state, model, k), images, eval_batch)
      out[f"fit_seconds_{model}"] = float(state["seconds"][model])
    return out

  def figures(state, images, labels, key, outdir):
    del labels, key
    path = lambda name: os.path.join(outdir, f"{name}.png")
    table = {LABELS[m]: {k: reconstruction_mse(reconstructor(state, m, k),
                                               images, eval_batch)
                         for k in ks} for m in shown_models}
    k = min(ks, key=lambda s: (abs(s - FIGURE_SIZE), s))
    shown = np.asarray(images[:NUM_SHOWN], np.float32)
    rows = {LABELS[m]: np.asarray(reconstructor(state, m, k)(shown))
            for m in shown_models}
    return {
        "mse_vs_size": viz.mse_vs_size(table, path("mse_vs_size")),
        "reconstructions": viz.reconstruction_rows(
            shown, rows, path("reconstructions"),
            title=f"Test reconstructions with a {k}-unit code"),
    }

  def report_notes(results):
    return [viz.results_table(results, shown_models, ks, LABELS)]

  fingerprint = {"method": "ae_vs_pca", "sizes": list(ks),
                 "compared": list(shown_models),
                 "models": {f"{m}_k{k}": s.model.to_dict()
                            for (m, k), s in subs.items()},
                 "image_shape": list(image_shape)}
  return base.Method(init=None, train_step=None, evaluate=evaluate,
                     figures=figures, fingerprint=fingerprint, fit=fit,
                     report_notes=report_notes)
