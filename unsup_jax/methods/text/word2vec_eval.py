"""Evaluation and export of word2vec's vectors (`word2vec.py`).

The input vectors (word2vec's syn0) are scored as gensim scores
`KeyedVectors` (`eval/word_vectors.py`): Spearman's rho between cosine
similarity and human judgement on WordSim-353 (Finkelstein et al. 2002)
and SimLex-999 (Hill, Reichart & Korhonen 2015), pairs with an
out-of-vocabulary word left out and counted; analogy accuracy by 3CosAdd
(Mikolov et al. 2013) on `questions-words.txt` among the
`word2vec.analogy_vocab` most frequent words. The quick evaluation during
training scores WordSim-353 only.

Exports: `vectors.tsv` and `metadata.tsv` (word, frequency) for
projector.tensorflow.org, with `projector_config.pbtxt` in the workdir and
in `tensorboard/`, so that `tensorboard --logdir WORKDIR` shows them in
its projector; `vectors.npz` (`words`, `counts`, `input`, `output`).
Figures: the most frequent words mapped to 2-D by PCA and by t-SNE, and
model against human similarity on both similarity sets.
"""

import os
from typing import Any, NamedTuple

import numpy as np

from unsup_jax.eval import word_vectors as wv
from unsup_jax.viz import projector
from unsup_jax.viz import report as viz_report
from unsup_jax.viz import word2vec as viz_w2v

SIMILARITY_SETS = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
ANALOGIES = "questions-words.txt"
NEIGHBOURS = 8
TSNE_MIN_WORDS = 10


class Setting(NamedTuple):
  """What the evaluation of one config reads: the `word2vec` section, the
  batch size and seed, and the corpus's vocabulary (`words` by frequency,
  their `counts`), pairs of the first epoch and raw tokens."""
  w: Any
  batch_size: int
  seed: int
  words: list
  counts: np.ndarray
  pairs_per_epoch: int
  raw_tokens: int


def setting(config, spec) -> Setting:
  meta = spec.meta
  return Setting(w=config.word2vec, batch_size=config.data.batch_size,
                 seed=config.seed, words=list(meta["words"]),
                 counts=np.asarray(meta["counts"]),
                 pairs_per_epoch=int(meta["pairs_per_epoch"]),
                 raw_tokens=int(meta["raw_tokens"]))


def similarity(st: Setting, vectors, name: str) -> dict:
  return wv.word_similarity(st.words, vectors,
                            wv.gensim_test_file(SIMILARITY_SETS[name]))


def evaluate(state, data, key, *, full: bool, st: Setting):
  """Word similarity (WordSim-353 only when not `full`); with `full` also
  the analogies, the maps, the neighbours and the exported vectors."""
  del data, key  # Deterministic, from the vectors.
  vectors = np.asarray(state.params["input"], np.float32)
  metrics, scored = {}, {}
  for name in (SIMILARITY_SETS if full else ["wordsim353"]):
    sc = scored[name] = similarity(st, vectors, name)
    metrics.update({f"{name}_spearman": sc["spearman"],
                    f"{name}_oov_percent": sc["oov_ratio"]})
  if not full:   # the training log takes numbers only
    return {k: v for k, v in metrics.items() if v is not None}, {}
  a = wv.word_analogies(st.words, vectors, wv.gensim_test_file(ANALOGIES),
                        restrict_vocab=st.w.analogy_vocab)
  metrics.update(analogy_accuracy=a["accuracy"],
                 analogy_oov_percent=a["oov_ratio"],
                 analogy_answered=a["correct"] + a["incorrect"],
                 epochs=int(state.step) * st.batch_size / st.pairs_per_epoch,
                 vocab_size=len(st.words), corpus_tokens=st.raw_tokens)
  top = min(st.w.map_words, len(st.words))
  outputs = {
      "map_words": st.words[:top], "map_counts": st.counts[:top],
      "map_pca": wv.map_coordinates(vectors[:top], method="pca"),
      "similarity": {n: (sc["model_scores"], sc["human_scores"],
                         sc["spearman"]) for n, sc in scored.items()
                     if sc["spearman"] is not None},
      "neighbours": wv.nearest_neighbours(
          st.words, vectors, list(st.w.neighbour_words), k=NEIGHBOURS),
      "sections": a["sections"],
      "texts": projector_files(st, vectors),
      "exports": {"vectors.npz": {
          "words": np.asarray(st.words), "counts": st.counts,
          "input": vectors,
          "output": np.asarray(state.params["output"], np.float32)}}}
  if top >= TSNE_MIN_WORDS:
    outputs["map_tsne"] = wv.map_coordinates(vectors[:top], method="tsne",
                                             seed=st.seed)
  return metrics, outputs


def projector_files(st: Setting, vectors) -> dict:
  """`{workdir-relative path: text}` of the projector's files."""
  return {"vectors.tsv": projector.vectors_tsv(vectors),
          "metadata.tsv": projector.metadata_tsv(st.words, st.counts),
          "projector_config.pbtxt": projector.projector_config(),
          os.path.join("tensorboard", "projector_config.pbtxt"):
              projector.projector_config(vectors="../vectors.tsv",
                                         metadata="../metadata.tsv")}


def figures(outputs: dict, outdir: str) -> dict:
  path = lambda name: os.path.join(outdir, f"{name}.png")
  figs = {}
  if "map_pca" in outputs:
    n = len(outputs["map_words"])
    for method in [m for m in ("pca", "tsne") if f"map_{m}" in outputs]:
      figs[f"word_map_{method}"] = viz_w2v.word_map(
          outputs[f"map_{method}"], outputs["map_words"],
          outputs["map_counts"], path(f"word_map_{method}"),
          title=f"The {n} most frequent words, "
                f"{'PCA' if method == 'pca' else 't-SNE'} of their vectors")
  for name, (model, human, rho) in outputs.get("similarity", {}).items():
    del rho  # similarity_scatter puts it in the title.
    figs[f"similarity_{name}"] = viz_w2v.similarity_scatter(
        model, human, path(f"similarity_{name}"), title=name)
  return figs


def report_notes(results: dict, outputs: dict, *, st: Setting) -> list:
  """The training budget in epochs, the nearest neighbours, the analogy
  accuracy per section and where the projector files are."""
  get = lambda k: results.get(f"test_{k}")
  out = []
  if get("epochs") is not None:
    out.append(
        f"Trained for {results.get('steps')} steps of "
        f"{st.batch_size} pairs: {get('epochs'):.2f} epochs "
        f"of {st.pairs_per_epoch:,} pairs (the first epoch's count; the "
        f"corpus has {st.raw_tokens:,} tokens, {len(st.words):,} words "
        f"in the vocabulary).")
  if outputs.get("neighbours"):
    rows = [[w, ", ".join(f"{n} ({c:.2f})" for n, c in found)]
            for w, found in outputs["neighbours"].items()]
    out.append("### Nearest neighbours (cosine)\n\n" +
               viz_report.markdown_table(["word", "neighbours"], rows,
                                         numeric_from=2))
  if outputs.get("sections"):
    rows = [[name, f"{acc:.3f}" if acc is not None else "—"]
            for name, acc in outputs["sections"].items()]
    out.append("### Analogy accuracy per section\n\n" +
               viz_report.markdown_table(["section", "accuracy"], rows))
  out.append("Projector files: `vectors.tsv`, `metadata.tsv` (load them "
             "at projector.tensorflow.org), `projector_config.pbtxt` "
             "(`tensorboard --logdir WORKDIR`).")
  return out
