"""Evaluation outputs and figures shared by the autoencoder-family methods.

`latent_outputs` runs the model (in `evaluate`) and returns the arrays the
latent figures show; `latent_figures` (in `figures`) only plots them.
"""

import os
from typing import Callable, Sequence

import jax
import numpy as np

from unsup_jax.eval import probes
from unsup_jax.eval.batched import map_batches
from unsup_jax.viz import figures as viz

NUM_SHOWN = 10
TRAVERSAL_VALUES = np.linspace(-3.0, 3.0, 9)

PROBE_NOTE = ("Linear probes (`eval/probes.py`): softmax regression on the "
              "codes of n class-balanced labelled training images, beside the "
              "same probe on their pixels; L2 strength by 4-fold "
              "cross-validation on those n only; accuracy on the test set.")


def model_fingerprint(section, fields: Sequence[str], spec) -> dict:
  """The config fields that define a model's parameters, for checkpoints."""
  return {"model": {f: section[f] for f in fields},
          "image_shape": list(spec.image_shape)}


def labels_of(split) -> np.ndarray | None:
  """The split's labels, or None when it has none."""
  return np.asarray(split["label"]) if "label" in split else None


def probe_codes(config, section, encode: Callable, test_codes: np.ndarray,
                data) -> dict:
  """Linear-probe accuracies of `encode` (`[B, H, W, C] -> [B, D]`) codes
  against raw pixels, with the label counts of `section.probe_labels`, on
  the evaluation view `data` (training split as evaluated)."""
  counts = tuple(section.probe_labels)
  train, test = data.split("train"), data.split("test")
  if not counts or "label" not in train or "label" not in test:
    return {}
  train_codes = map_batches(jax.jit(encode), train["image"],
                            batch_size=config.eval.batch_size)
  return probes.probe_metrics(
      train_codes, train["label"], test_codes, test["label"],
      label_counts=counts, raw_train=train["image"], raw_test=test["image"],
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


def latent_outputs(*, images: np.ndarray, labels, codes: np.ndarray,
                   decode: Callable, prior_samples=None,
                   traversal_dims: Sequence[int] | None = None) -> dict:
  """Everything `latent_figures` shows, computed with `decode` (`[B, D] ->
  images`): reconstructions of the first test images, interpolations, the
  codes and labels and, for models with a prior, samples and traversals."""
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


def latent_figures(outputs: dict, outdir: str) -> dict:
  """Reconstructions, interpolations, latent scatter; with a prior also
  samples and traversals. Returns `{name: path}`."""
  path = lambda name: os.path.join(outdir, f"{name}.png")
  figs = {
      "reconstructions": viz.reconstructions(
          outputs["shown"], outputs["recons"], path("reconstructions")),
      "interpolations": viz.interpolations(outputs["interpolations"],
                                           path("interpolations")),
      "latent_space": viz.latent_scatter(outputs["codes"], outputs["labels"],
                                         path("latent_space")),
  }
  if "prior_samples" in outputs:
    figs["prior_samples"] = viz.samples(outputs["prior_samples"],
                                        path("prior_samples"))
  if "traversals" in outputs:
    figs["traversals"] = viz.traversals(
        outputs["traversals"], TRAVERSAL_VALUES, path("traversals"),
        dims=list(outputs["traversal_dims"]),
        row_labels=outputs.get("traversal_labels"),
        title="Latent traversals (units by decreasing activity)" + (
            "; each unit's main factor" if "traversal_labels" in outputs
            else ""))
  return figs
