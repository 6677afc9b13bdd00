"""word2vec skip-gram with negative sampling: this project against gensim.

Both train on the same corpus (the project's encoding of it: the same
tokens, sentences and vocabulary; gensim gets the words with min_count=1,
so it keeps exactly this vocabulary), with the same dimension, window,
negatives, subsampling threshold, learning rates (0.025 -> 0.0001) and
epochs. gensim runs with 2 worker threads; this project through its
engine (`training.run`, jit on the CPU, which XLA runs on both cores).
Runs are interleaved, gensim then this project, seed after seed.

Speed is training words per second, counted the same way for both: the
corpus's tokens times the epochs, over the training time (gensim: its
`train()` call, after `build_vocab`; this project: the run's training
time, compilation and checkpoints included, evaluation excluded; the
epochs are the run's steps x pairs per step over the first epoch's pairs).
Quality is scored by the same functions for both (`eval/word_vectors.py`,
which match gensim's `evaluate_word_pairs` / `evaluate_word_analogies`):
WordSim-353 and SimLex-999 Spearman rho, analogy accuracy among the 30,000
most frequent words.

  python benchmarks/word2vec_vs_gensim.py                      # enwiki, 20 epochs, 3 seeds
  python benchmarks/word2vec_vs_gensim.py --epochs 5 --seeds 0 1 2
  python benchmarks/word2vec_vs_gensim.py --corpus lee --batch 1024
  python benchmarks/word2vec_vs_gensim.py --negative_group 1   # every pair its own negatives

The last line is `w2v_speed_ratio=<project words/s / gensim words/s>`
(means over the seeds).
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from unsup_jax import api  # pylint: disable=g-import-not-at-top,wrong-import-position
from unsup_jax.eval import word_vectors as wv  # pylint: disable=g-import-not-at-top,wrong-import-position

EXPERIMENT = {"enwiki": "word2vec_enwiki", "lee": "word2vec_lee",
              "head500": "word2vec_enwiki"}
COLUMNS = ("words_per_sec", "wordsim353", "simlex999", "analogy")


def quality(words, vectors) -> dict:
  return {
      "wordsim353": wv.word_similarity(
          words, vectors, wv.gensim_test_file("wordsim353.tsv"))["spearman"],
      "simlex999": wv.word_similarity(
          words, vectors, wv.gensim_test_file("simlex999.txt"))["spearman"],
      "analogy": wv.word_analogies(
          words, vectors, wv.gensim_test_file("questions-words.txt"),
          restrict_vocab=30_000)["accuracy"]}


def project_config(args, seed: int, pairs_per_epoch: int):
  config = api.get_config(EXPERIMENT[args.corpus])
  config.data.name = args.corpus
  config.seed = seed
  config.data.batch_size = args.batch
  config.word2vec.dim = args.dim
  config.skipgram.update(window=args.window, negatives=args.negatives,
                         sample=args.sample,
                         negative_group=args.negative_group)
  config.text.min_count = args.min_count
  if pairs_per_epoch:
    config.train.num_steps = max(
        1, round(args.epochs * pairs_per_epoch / args.batch))
  config.train.update(checkpoint_every=max(config.train.num_steps, 1),
                      eval_every=0, log_every=max(config.train.num_steps // 4,
                                                  1))
  return config


def run_project(args, seed: int, pairs_per_epoch: int) -> dict:
  config = project_config(args, seed, pairs_per_epoch)
  with tempfile.TemporaryDirectory() as workdir:
    results = api.run(config, workdir, progress=False)
  data = api.load_data(config)
  tokens = len(data.corpus.ids)
  out = {"words_per_sec": results["test_epochs"] * tokens /
         results["train_seconds_this_run"],
         "epochs": results["test_epochs"],
         "seconds": results["train_seconds_this_run"]}
  out.update(wordsim353=results["test_wordsim353_spearman"],
             simlex999=results["test_simlex999_spearman"],
             analogy=results["test_analogy_accuracy"])
  return out


def run_gensim(args, seed: int, sentences, words) -> dict:
  from gensim.models import Word2Vec  # pylint: disable=g-import-not-at-top
  model = Word2Vec(vector_size=args.dim, window=args.window,
                   negative=args.negatives, sample=args.sample, sg=1, hs=0,
                   min_count=1, workers=2, alpha=0.025, min_alpha=0.0001,
                   seed=seed)
  model.build_vocab(sentences)
  start = time.perf_counter()
  _, raw = model.train(sentences, total_examples=len(sentences),
                       epochs=args.epochs)
  seconds = time.perf_counter() - start
  vectors = np.stack([model.wv[w] for w in words])
  out = {"words_per_sec": raw / seconds, "epochs": args.epochs,
         "seconds": seconds}
  out.update(quality(words, vectors))
  return out


def summary(rows: list[dict]) -> dict:
  return {k: (float(np.mean([r[k] for r in rows])),
              float(np.std([r[k] for r in rows]))) for k in COLUMNS}


def main():
  p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  p.add_argument("--corpus", default="enwiki", choices=sorted(EXPERIMENT))
  p.add_argument("--epochs", type=int, default=20)
  p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
  p.add_argument("--dim", type=int, default=100)
  p.add_argument("--window", type=int, default=5)
  p.add_argument("--negatives", type=int, default=5)
  p.add_argument("--sample", type=float, default=1e-3)
  p.add_argument("--min_count", type=int, default=5)
  p.add_argument("--batch", type=int, default=4096)
  p.add_argument("--negative_group", type=int, default=None,
                 help="default: the experiment's")
  args = p.parse_args()
  base = api.get_config(EXPERIMENT[args.corpus])
  if args.negative_group is None:
    args.negative_group = base.skipgram.negative_group
  data = api.load_data(project_config(args, args.seeds[0], 0))
  corpus = data.corpus
  words = list(corpus.vocab.words)
  sentences = [[words[i] for i in corpus.ids[a:b]]
               for a, b in zip(corpus.starts[:-1], corpus.starts[1:])]
  pairs = int(data.view.meta["pairs_per_epoch"])
  print(f"corpus {args.corpus}: {len(corpus.ids):,} tokens in "
        f"{corpus.num_sentences} sentences, {len(words):,} words; "
        f"{pairs:,} pairs in the first epoch; {args.epochs} epochs, dim "
        f"{args.dim}, window {args.window}, {args.negatives} negatives, "
        f"sample {args.sample}, batch {args.batch} pairs, negative group "
        f"{args.negative_group}", flush=True)
  rows = {"gensim": [], "unsup_jax": []}
  for seed in args.seeds:
    rows["gensim"].append(run_gensim(args, seed, sentences, words))
    rows["unsup_jax"].append(run_project(args, seed, pairs))
    for name in rows:
      r = rows[name][-1]
      print(f"seed {seed} {name:9s} " + " ".join(
          f"{k}={r[k]:.4g}" for k in (*COLUMNS, "epochs", "seconds")),
            flush=True)
  print("\n| library | words/s | WordSim-353 rho | SimLex-999 rho | analogy "
        "accuracy |\n| --- | ---: | ---: | ---: | ---: |")
  means = {}
  for name, r in rows.items():
    s = summary(r)
    means[name] = s["words_per_sec"][0]
    print(f"| {name} | {s['words_per_sec'][0]:,.0f} ± "
          f"{s['words_per_sec'][1]:,.0f} | " + " | ".join(
              f"{s[k][0]:.3f} ± {s[k][1]:.3f}" for k in COLUMNS[1:]) + " |")
  print(f"w2v_speed_ratio={means['unsup_jax'] / means['gensim']:.3f}")


if __name__ == "__main__":
  main()
