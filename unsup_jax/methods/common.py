"""Figure sets and checks shared by the autoencoder-family methods."""

import os
from typing import Callable, Sequence

import jax
import numpy as np

from unsup_jax.data import iterators, sources
from unsup_jax.errors import UserError
from unsup_jax.eval import probes
from unsup_jax.eval.batched import map_batches
from unsup_jax.viz import figures as viz

NUM_SHOWN = 10
TRAVERSAL_VALUES = np.linspace(-3.0, 3.0, 9)


def check_likelihood(name: str, allowed: Sequence[str]) -> None:
  if name not in allowed:
    raise UserError(f"config.model.likelihood {name!r} is not supported by "
                    f"this method; choose one of {', '.join(allowed)}")


PROBE_NOTE = ("Linear probes (`eval/probes.py`): softmax regression on the "
              "codes of n class-balanced labelled training images, beside the "
              "same probe on their pixels; L2 strength by 4-fold "
              "cross-validation on those n only; accuracy on the test set.")


def model_fingerprint(model_config, fields: Sequence[str],
                      image_shape) -> dict:
  """The config fields that define a model's parameters, for checkpoints."""
  return {"model": {f: model_config[f] for f in fields},
          "image_shape": list(image_shape)}


def training_images(config) -> tuple[np.ndarray, np.ndarray]:
  """The training split of `config.data` and its labels, binarised once (with
  the run's seed) when the model trains on binarised data, i.e. drawn from
  the distribution of the evaluated test set."""
  data = sources.load(config.data.name, data_dir=config.data.data_dir or None,
                      num_train=config.data.num_train or None,
                      num_test=config.data.num_test or None)
  train = data.train_images
  if config.data.binarize != "none":
    train = iterators.binarize_static(train, config.seed)
  return train, data.train_labels


def probe_codes(config, encode: Callable, test_codes: np.ndarray,
                test_images: np.ndarray, test_labels: np.ndarray) -> dict:
  """Linear-probe accuracies of `encode` (`[B, H, W, C] -> [B, D]`) codes
  against raw pixels, with 100 and 1,000 labels (`config.eval.probe_labels`)."""
  counts = tuple(config.eval.get("probe_labels", (100, 1000)))
  if not counts or test_labels is None:
    return {}
  train, train_labels = training_images(config)
  train_codes = map_batches(jax.jit(encode), train,
                            batch_size=config.eval.batch_size)
  return probes.probe_metrics(
      train_codes, train_labels, test_codes, test_labels,
      label_counts=counts, raw_train=train, raw_test=test_images,
      seed=config.seed)


def probe_notes(results: dict) -> list:
  """The probe table as a report section (empty without probe metrics)."""
  table = probes.probe_table(results)
  return [f"### Linear probes\n\n{PROBE_NOTE}\n\n{table}"] if table else []


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


def latent_figures(outdir: str, *, images: np.ndarray, labels: np.ndarray,
                   codes: np.ndarray, decode: Callable,
                   prior_samples: np.ndarray | None = None,
                   traversal_dims: Sequence[int] | None = None) -> dict:
  """Reconstructions, interpolations, latent scatter; with a prior also
  samples and traversals. Returns `{name: path}`."""
  path = lambda name: os.path.join(outdir, f"{name}.png")
  shown = images[:NUM_SHOWN]
  figs = {
      "reconstructions": viz.reconstructions(
          shown, np.asarray(decode(codes[:NUM_SHOWN])), path("reconstructions")),
      "interpolations": viz.interpolations(
          interpolation_grid(codes, decode), path("interpolations")),
      "latent_space": viz.latent_scatter(codes, labels, path("latent_space")),
  }
  if prior_samples is not None:
    figs["prior_samples"] = viz.samples(np.asarray(prior_samples),
                                        path("prior_samples"))
  if traversal_dims is not None:
    dims = list(traversal_dims)[:NUM_SHOWN]
    figs["traversals"] = viz.traversals(
        traversal_grid(codes[0], dims, decode, TRAVERSAL_VALUES),
        TRAVERSAL_VALUES, path("traversals"), dims=dims,
        title="Latent traversals (units by decreasing activity)")
  return figs
