"""Evaluation and export of word2vec's vectors (`methods/word2vec.py`).

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

import numpy as np

from unsup_jax.eval import word_vectors as wv
from unsup_jax.viz import projector
from unsup_jax.viz import report as viz_report
from unsup_jax.viz import word2vec as viz_w2v

SIMILARITY_SETS = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
ANALOGIES = "questions-words.txt"
NEIGHBOURS = 8
TSNE_MIN_WORDS = 10


class Evaluator:
  """`evaluate`, `figures` and `report_notes` of one word2vec config."""

  def __init__(self, config, spec):
    self.config, self.w = config, config.word2vec
    meta = spec.meta
    self.words = list(meta["words"])
    self.counts = np.asarray(meta["counts"])
    self.pairs_per_epoch = int(meta["pairs_per_epoch"])
    self.raw_tokens = int(meta["raw_tokens"])
    self.recorded = {}

  def similarity(self, vectors, name: str) -> dict:
    return wv.word_similarity(self.words, vectors,
                              wv.gensim_test_file(SIMILARITY_SETS[name]))

  def evaluate(self, state, data, key, *, full: bool):
    del data, key  # Deterministic, from the vectors.
    vectors = np.asarray(state.params["input"], np.float32)
    metrics = {}
    scored = {}
    for name in (SIMILARITY_SETS if full else ["wordsim353"]):
      s = scored[name] = self.similarity(vectors, name)
      metrics.update({f"{name}_spearman": s["spearman"],
                      f"{name}_oov_percent": s["oov_ratio"]})
    if not full:   # the training log takes numbers only
      return {k: v for k, v in metrics.items() if v is not None}, {}
    a = wv.word_analogies(self.words, vectors, wv.gensim_test_file(ANALOGIES),
                          restrict_vocab=self.w.analogy_vocab)
    metrics.update(analogy_accuracy=a["accuracy"],
                   analogy_oov_percent=a["oov_ratio"],
                   analogy_answered=a["correct"] + a["incorrect"])
    steps = int(state.step)
    metrics.update(epochs=steps * self.config.data.batch_size /
                   self.pairs_per_epoch, vocab_size=len(self.words),
                   corpus_tokens=self.raw_tokens)
    self.recorded = {
        "neighbours": wv.nearest_neighbours(
            self.words, vectors, list(self.w.neighbour_words), k=NEIGHBOURS),
        "sections": a["sections"]}
    top = min(self.w.map_words, len(self.words))
    outputs = {
        "map_words": self.words[:top], "map_counts": self.counts[:top],
        "map_pca": wv.map_coordinates(vectors[:top], method="pca"),
        "similarity": {n: (s["model_scores"], s["human_scores"],
                           s["spearman"]) for n, s in scored.items()
                       if s["spearman"] is not None},
        "texts": self.projector_files(vectors),
        "exports": {"vectors.npz": {
            "words": np.asarray(self.words), "counts": self.counts,
            "input": vectors,
            "output": np.asarray(state.params["output"], np.float32)}}}
    if top >= TSNE_MIN_WORDS:
      outputs["map_tsne"] = wv.map_coordinates(vectors[:top], method="tsne",
                                               seed=self.config.seed)
    return metrics, outputs

  def projector_files(self, vectors) -> dict:
    """`{workdir-relative path: text}` of the projector's files."""
    return {"vectors.tsv": projector.vectors_tsv(vectors),
            "metadata.tsv": projector.metadata_tsv(self.words, self.counts),
            "projector_config.pbtxt": projector.projector_config(),
            os.path.join("tensorboard", "projector_config.pbtxt"):
                projector.projector_config(vectors="../vectors.tsv",
                                           metadata="../metadata.tsv")}

  def figures(self, outputs: dict, outdir: str) -> dict:
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

  def report_notes(self, results: dict) -> list:
    get = lambda k: results.get(f"test_{k}")
    out = []
    if get("epochs") is not None:
      out.append(
          f"Trained for {results.get('steps')} steps of "
          f"{self.config.data.batch_size} pairs: {get('epochs'):.2f} epochs "
          f"of {self.pairs_per_epoch:,} pairs (the first epoch's count; the "
          f"corpus has {self.raw_tokens:,} tokens, {len(self.words):,} words "
          f"in the vocabulary).")
    if self.recorded.get("neighbours"):
      rows = [[w, ", ".join(f"{n} ({c:.2f})" for n, c in found)]
              for w, found in self.recorded["neighbours"].items()]
      out.append("### Nearest neighbours (cosine)\n\n" +
                 viz_report.markdown_table(["word", "neighbours"], rows,
                                           numeric_from=2))
    if self.recorded.get("sections"):
      rows = [[name, f"{acc:.3f}" if acc is not None else "—"]
              for name, acc in self.recorded["sections"].items()]
      out.append("### Analogy accuracy per section\n\n" +
                 viz_report.markdown_table(["section", "accuracy"], rows))
    out.append("Projector files: `vectors.tsv`, `metadata.tsv` (load them "
               "at projector.tensorflow.org), `projector_config.pbtxt` "
               "(`tensorboard --logdir WORKDIR`).")
    return out
