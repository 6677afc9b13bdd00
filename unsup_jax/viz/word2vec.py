"""Figures of word vectors: maps of the vocabulary and similarity scatters.

For word2vec's vectors (Mikolov et al. 2013, "Distributed representations
of words and phrases and their compositionality", NIPS) or any others:

- `word_map`: the N most frequent words placed by a 2-D map of their vectors
  (`eval.word_vectors.map_coordinates`: PCA or t-SNE), the most frequent
  ones labelled where their labels do not overlap;
- `similarity_scatter`: the model's cosine similarity against the human
  score of each evaluated word pair, with Spearman's ρ.

Plotting only, deterministic: no model calls, no randomness.
"""

import numpy as np
from scipy import stats

from unsup_jax.viz import figures as viz
from unsup_jax.viz.figures import plt

_FONT = 6.0  # Label size in points.


def _free_labels(ax, coords, order, words, fig):
  """Indices of `order` whose labels fit without overlapping earlier ones.

  Label boxes are estimated in display pixels (width 0.55 em per
  character, height 1.2 em), to the right of their points.
  """
  em = _FONT * fig.dpi / 72.0
  xy = ax.transData.transform(coords[order])
  placed, boxes = [], []
  for i, (x, y) in zip(order, xy):
    box = (x + 2, x + 2 + 0.55 * em * max(len(words[i]), 1),
           y - 0.6 * em, y + 0.6 * em)
    if all(box[1] < b[0] or box[0] > b[1] or box[3] < b[2] or box[2] > b[3]
           for b in boxes):
      placed.append(i)
      boxes.append(box)
  return placed


def word_map(coords, words, counts, path, title, *, labels=150) -> str:
  """Scatter of `[N, 2]` word coordinates, frequent words labelled.

  Args:
    coords: `[N, 2]` map coordinates of N words.
    words: `[N]` the words.
    counts: `[N]` their corpus frequencies (marker size; which to label).
    path: PNG path.
    title: figure title.
    labels: how many of the most frequent words are candidates for a label;
      a label that would overlap an earlier (more frequent) one is left out.

  Returns:
    `path`.
  """
  coords = np.asarray(coords, dtype=np.float64)
  counts = np.asarray(counts, dtype=np.float64).reshape(-1)
  words = [str(w) for w in words]
  if coords.ndim != 2 or coords.shape[1] != 2 or not (
      len(coords) == len(words) == len(counts)):
    raise ValueError(f"need [N, 2] coordinates, N words and N counts, got "
                     f"{coords.shape}, {len(words)}, {len(counts)}")
  fig, ax = plt.subplots(figsize=(11.0, 9.0))
  size = 2.0 + 18.0 * np.log1p(counts) / max(np.log1p(counts).max(), 1e-9)
  ax.scatter(coords[:, 0], coords[:, 1], s=size, c="tab:blue", alpha=0.35,
             linewidths=0)
  if len(coords):
    low, high = coords.min(axis=0), coords.max(axis=0)
    pad = 0.04 * np.maximum(high - low, 1e-9)
    ax.set(xlim=(low[0] - pad[0], high[0] + 3 * pad[0]),
           ylim=(low[1] - pad[1], high[1] + pad[1]))
  order = np.argsort(-counts, kind="stable")[:labels]
  shown = _free_labels(ax, coords, order, words, fig)
  ax.scatter(coords[shown, 0], coords[shown, 1], s=size[shown], c="tab:red",
             alpha=0.8, linewidths=0)
  for i in shown:
    ax.annotate(words[i], coords[i], xytext=(2, 0), textcoords="offset points",
                fontsize=_FONT, va="center", ha="left", color="0.1")
  ax.set(title=f"{title} ({len(coords)} words, {len(shown)} labelled)",
         xticks=[], yticks=[])
  return viz.save_figure(fig, path)


def similarity_scatter(model_scores, human_scores, path, title) -> str:
  """Model cosine against human similarity score, one point per pair.

  Args:
    model_scores: `[P]` cosine similarities of the evaluated pairs.
    human_scores: `[P]` the human scores of the same pairs.
    path: PNG path.
    title: figure title (Spearman's ρ and P are added).

  Returns:
    `path`.
  """
  model = np.asarray(model_scores, dtype=np.float64).reshape(-1)
  human = np.asarray(human_scores, dtype=np.float64).reshape(-1)
  if len(model) != len(human):
    raise ValueError(f"{len(model)} model scores but {len(human)} human ones")
  rho = (stats.spearmanr(human, model).statistic if len(model) > 1
         else float("nan"))
  fig, ax = plt.subplots(figsize=(6.0, 5.0))
  ax.scatter(human, model, s=8, alpha=0.6, linewidths=0)
  ax.axhline(0.0, color="0.7", lw=0.8)
  ax.set(xlabel="human similarity score", ylabel="cosine similarity",
         title=f"{title}\nSpearman ρ = {rho:.3f} over {len(model)} pairs")
  return viz.save_figure(fig, path)
