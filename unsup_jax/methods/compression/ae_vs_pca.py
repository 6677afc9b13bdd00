"""Autoencoders against PCA: held-out reconstruction error per code size.

Hinton & Salakhutdinov (2006), "Reducing the dimensionality of data with
neural networks", Science 313: a deep, non-linear autoencoder reconstructs
held-out images better than PCA (Pearson 1901; Hotelling 1933) with the same
number of code units, while a linear autoencoder can at best find PCA's
principal subspace (Baldi & Hornik 1989, Neural Networks 2).

A study: PCA with max(`compare.sizes`) components (one sub-run, its fit a
whole-data phase; truncated to each k) and, for every code size k, the
autoencoders of `compare.models` (tied linear, deep MLP, convolutional) from
the experiment configs named in `compare.experiments` (their full configs
with `autoencoder.latent_dim = k`, `train.num_steps = compare.num_steps`,
gray pixels), each a sub-run of the loop (`WORKDIR/runs/deep_ae_k10`, ...).
`compare.overrides.MODEL` is a partial config merged into that model's
config (e.g. `overrides.conv_ae.train.num_steps`). `evaluate` gives the
held-out mean squared error per pixel `mse_{model}_k{k}` of the images in
[0, 1] (sigmoid outputs for BCE-trained autoencoders, no clipping). Config:
`configs/ae_vs_pca.py`.
"""

import functools
import os

import jax
import ml_collections
import numpy as np

from unsup_jax import configs
from unsup_jax.configs import files, pca as pca_config
from unsup_jax.errors import UserError
from unsup_jax.eval.batched import map_batches
from unsup_jax.methods import registry
from unsup_jax.models import autoencoder as ae_models
from unsup_jax.ops import pca
from unsup_jax.training.contract import Study
from unsup_jax.viz import ae_vs_pca as viz

MODELS = ("pca", "linear_ae", "deep_ae", "conv_ae")
LABELS = {"pca": "PCA", "linear_ae": "linear AE (tied)",
          "deep_ae": "deep MLP AE", "conv_ae": "conv AE"}
FIGURE_SIZE = 10      # the code size whose reconstructions are shown
NUM_SHOWN = 10


def _check_overlay(target, overlay, prefix: str) -> None:
  """Raises UserError for a field of `overlay` that `target` lacks."""
  for name, value in overlay.items():
    if name not in target:
      raise UserError(f"config.compare.overrides.{prefix}{name} is not a "
                      f"field of that model's config")
    if isinstance(value, ml_collections.ConfigDict):
      _check_overlay(target[name], value, f"{prefix}{name}.")


def sizes(config: ml_collections.ConfigDict) -> tuple[int, ...]:
  return tuple(sorted(set(config.compare.sizes)))


def models(config: ml_collections.ConfigDict) -> tuple[str, ...]:
  """The compared models: PCA and `compare.models`, in MODELS order."""
  chosen = set(config.compare.models)
  return tuple(m for m in MODELS if m in chosen or m == "pca")


def _on_study_data(sub, config):
  files.on_study_data(sub, config, ("batch_size",))
  sub.data.binarize = "none"
  sub.seed = config.seed
  sub.eval.batch_size = config.eval.batch_size
  sub.train.eval_every = 0
  sub.train.parallel = config.train.parallel
  return sub


def model_config(config: ml_collections.ConfigDict, model: str,
                 k: int) -> ml_collections.ConfigDict:
  """The full config that trains autoencoder `model` with a k-unit code.

  Args:
    config: the study's config (seed, data, eval batch size, `compare.*`).
    model: one of "linear_ae", "deep_ae", "conv_ae".
    k: the code size.

  Returns:
    Its experiment's full config on the study's data (gray pixels),
    `compare.num_steps` steps, `compare.overrides[model]` merged in, and
    `autoencoder.latent_dim = k`.
  """
  c = config.compare
  if model not in c.experiments:
    raise UserError(f"config.compare.experiments has no entry for {model!r}")
  sub = files.load_experiment(c.experiments[model],
                              field=f"compare.experiments.{model}")
  _on_study_data(sub, config)
  sub.train.num_steps = c.num_steps
  overlay = c.overrides.get(model)
  if overlay:
    _check_overlay(sub, overlay, f"{model}.")
    sub.update(overlay)
  sub.autoencoder.latent_dim = k
  configs.validate(sub)
  return sub


def pca_config_for(
    config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """PCA with the largest compared size, fitted on the study's data."""
  sub = _on_study_data(pca_config.config(), config)
  sub.pca.num_components = sizes(config)[-1]
  sub.pca.eval_components = ()
  configs.validate(sub)
  return sub


@functools.partial(jax.jit, static_argnames=("model", "likelihood"))
def autoencoder_reconstruction(params, x, *, model, likelihood: str):
  """`x_hat [B, H, W, C]` of `x` in pixel space (sigmoid of the logits for
  a BCE-trained model)."""
  cls = type(model)
  code = model.apply({"params": params}, x, method=cls.encode)
  out = model.apply({"params": params}, code, method=cls.decode)
  return jax.nn.sigmoid(out) if likelihood == "bce" else out


def reconstructor(states, model: str, k: int, *, subs: dict, image_shape):
  """`x [B, H, W, C] -> x_hat` of `model` at code size k."""
  if model == "pca":
    truncated = pca.truncate(states["pca"].params, k)
    return lambda x: pca.reconstruct(
        truncated, x.reshape(x.shape[0], -1)).reshape(x.shape)
  a = subs[model, k].autoencoder
  return functools.partial(
      autoencoder_reconstruction, states[run_name(model, k)].params,
      model=ae_models.from_config(a, image_shape), likelihood=a.likelihood)


def reconstruction_mse(recon, images: np.ndarray, batch_size: int) -> float:
  """Mean squared error per pixel of `recon([B, H, W, C])` on `images`."""
  def per_example(x):                                          # [B]
    diff = x - np.asarray(recon(x), np.float32)
    return np.mean(np.square(diff).reshape(x.shape[0], -1), axis=1)
  return float(np.mean(map_batches(per_example, np.asarray(images, np.float32),
                                   batch_size=batch_size)))


def run_name(model: str, k: int) -> str:
  return "pca" if model == "pca" else f"{model}_k{k}"


def study_configs(config: ml_collections.ConfigDict) -> dict:
  """`{(model, k): config}` of every sub-run: each compared autoencoder at
  each size, and PCA at the largest."""
  ks = sizes(config)
  subs = {(m, k): model_config(config, m, k) for m in models(config)[1:]
          for k in ks}
  subs["pca", ks[-1]] = pca_config_for(config)
  return subs


def evaluate(states, data, key, *, full: bool, runs, config, subs: dict):
  """`mse_{model}_k{k}`: MSE per pixel on the test images."""
  del key, full, runs
  ks, shown_models = sizes(config), models(config)
  images = data.split("test")["image"]
  recon = functools.partial(reconstructor, states, subs=subs,
                            image_shape=images.shape[1:])
  table = {m: {k: reconstruction_mse(recon(m, k), images,
                                     config.eval.batch_size) for k in ks}
           for m in shown_models}
  metrics = {f"mse_{m}_k{k}": v for m, row in table.items()
             for k, v in row.items()}
  k = min(ks, key=lambda s: (abs(s - FIGURE_SIZE), s))
  shown = np.asarray(images[:NUM_SHOWN], np.float32)
  return metrics, {
      "table": {LABELS[m]: row for m, row in table.items()}, "k": k,
      "shown": shown,
      "rows": {LABELS[m]: np.asarray(recon(m, k)(shown))
               for m in shown_models}}


def figures(outputs, outdir):
  path = lambda name: os.path.join(outdir, f"{name}.png")
  return {
      "mse_vs_size": viz.mse_vs_size(outputs["table"], path("mse_vs_size")),
      "reconstructions": viz.reconstruction_rows(
          outputs["shown"], outputs["rows"], path("reconstructions"),
          title=f"Test reconstructions with a {outputs['k']}-unit code"),
  }


def report_notes(results, outputs, *, config):
  del outputs
  return [viz.results_table(results, models(config), sizes(config), LABELS)]


def build(config: ml_collections.ConfigDict, spec) -> Study:
  """The AE-vs-PCA study for the images of `spec`."""
  dim = int(np.prod(spec.image_shape))
  if sizes(config)[-1] > dim:
    raise UserError(f"config.compare.sizes must be <= {dim} (the pixels per "
                    f"image), got {tuple(config.compare.sizes)!r}")
  subs = study_configs(config)
  return Study(
      runs=functools.partial(registry.sub_runs, configs_by_name={
          run_name(m, k): sub for (m, k), sub in subs.items()}),
      evaluate=functools.partial(evaluate, config=config, subs=subs),
      figures=figures,
      report_notes=functools.partial(report_notes, config=config),
      fingerprint={"method": "ae_vs_pca", "sizes": list(sizes(config)),
                   "compared": list(models(config)),
                   "image_shape": list(spec.image_shape)})
