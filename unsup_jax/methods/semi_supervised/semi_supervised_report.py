"""What a semi-supervised run records of its data (`semi_supervised.py`):
the rows each stream draws, and the report section that lists the
labelled subset so that a reader can rebuild it."""

import hashlib

import numpy as np

from unsup_jax.data import streams

SHOWN_ROWS = 100  # labelled rows listed in the report


def stream_rows(data, config) -> dict:
  """`{stream: training rows}` of "labelled" and "unlabelled", as the run's
  streams draw them (`data`: a dataset with the run's training split)."""
  defined = streams.define_streams(data, config)
  return {name: defined[name].rows for name in ("labelled", "unlabelled")}


def report_notes(results: dict, outputs: dict, *, config) -> list:
  """What the labelled subset is, so that a reader can rebuild it (its
  rows and labels from the final evaluation's `outputs`); for M2 and
  M1+M2, its generative model's accuracy beside q(y | x)'s."""
  s = config.data.streams.labelled
  how = ("every training example" if s.get("subset") == "all" else
         f"{s.get('size')} class-balanced training examples drawn by "
         f"seed {config.seed} (`data.streams.balanced_rows`)")
  text = (f"### Labelled subset\n\nThe labelled stream holds {how}; its rows "
          "are in `labelled.npz` (`rows`, `label`), every test prediction in "
          "`predictions.npz`. The unlabelled stream: "
          f"{_unlabelled_text(config)}.")
  if "labelled_rows" in outputs:
    rows, labels = outputs["labelled_rows"], outputs["labelled_labels"]
    counts = ", ".join(f"{c}: {n}" for c, n in enumerate(np.bincount(labels)))
    shown = " ".join(map(str, rows[:SHOWN_ROWS]))
    more = (f" ... ({len(rows)} rows, sha1 of their int64 bytes "
            f"{rows_digest(rows)})" if len(rows) > SHOWN_ROWS else "")
    text += (f"\n\nExamples per class: {counts}.\n\nRows: {shown}{more}")
  notes = [text]
  if "test_generative_accuracy" in results:
    notes.append(
        "### The generative model as a classifier\n\n"
        f"q(y | x): {results['test_accuracy']:.3f} test accuracy; argmax "
        "over y of the bound on log p(x, y) (the class-conditional model "
        f"alone): {results['test_generative_accuracy']:.3f}. The unlabelled "
        "bound can teach q(y | x) only what the generative model tells "
        "apart: a generative accuracy near q(y | x)'s says it has little "
        "left to teach.")
  return notes


def _unlabelled_text(config) -> str:
  u = config.data.streams.unlabelled
  if u.get("subset") == "rest":
    return ("the rest of the training split" + (
        f", {u.get('size')} of it drawn by the seed" if u.get("size") else ""))
  return "every training example" if not u.get("size") else (
      f"the first {u.get('size')} training examples")


def rows_digest(rows: np.ndarray) -> str:
  return hashlib.sha1(np.asarray(rows, np.int64).tobytes()).hexdigest()[:12]
