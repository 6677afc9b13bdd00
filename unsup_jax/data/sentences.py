"""Sentences as padded token ids, for sentence models (the sentence VAE and
its language-model baseline).

A text source of `data/text_sources.py` (`enwiki`, `lee`, `head500`,
`text:PATH`, `tfds:NAME`) is split into sentences: each document is cut at
line breaks and after ".", "!" or "?" followed by space and a capital
letter, an opening quote or bracket, then tokenised as word2vec's corpus is
(`data/text.py`). Sentences of `min_length` to `max_length` tokens are
kept (longer ones are dropped, not cut: a cut sentence has no true end).
They are shuffled by a fixed seed (`SPLIT_SEED`, not the run's: every run
sees the same test sentences) and divided into "train", "validation" and
"test".

The vocabulary is built on the training sentences only (`min_count`,
`max_vocab`), after four reserved ids: `<pad>` 0, `<s>` 1, `</s>` 2 and
`<unk>` 3 (every out-of-vocabulary word, and Bowman et al.'s word dropout).
Feature `tokens` `[N, max_length + 2]` int32 holds `<s> w_1 .. w_n </s>`
then padding; the model predicts tokens 1.. from tokens ..-1, so a sentence
of n words has n + 1 predicted tokens (its end included): the count
perplexity is per.
"""

import re

import numpy as np

from unsup_jax.data import text, text_sources
from unsup_jax.data.dataset import Dataset
from unsup_jax.errors import UserError

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")
SPLIT_SEED = 20160512
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[])|\n+")
_CACHE: dict[str, Dataset] = {}


def split_sentences(document: str) -> list[list[str]]:
  """The tokenised sentences of `document` (empty ones dropped)."""
  return [t for t in map(text.tokenize, SENTENCE_END.split(document)) if t]


def encode(sentences, index: dict[str, int], max_length: int) -> np.ndarray:
  """`[N, max_length + 2]` int32: `<s>`, the words' ids (`<unk>` for words
  not in `index`), `</s>`, then `<pad>`."""
  out = np.full((len(sentences), max_length + 2), PAD, np.int32)
  for row, words in enumerate(sentences):
    out[row, 0] = BOS
    out[row, 1:len(words) + 1] = [index.get(w, UNK) for w in words]
    out[row, len(words) + 1] = EOS
  return out


def decode(ids, words) -> str:
  """The words of one row of ids up to its end marker (markers and padding
  left out; `<unk>` kept)."""
  out = []
  for i in np.asarray(ids).tolist():
    if i == EOS:
      break
    if i not in (PAD, BOS):
      out.append(words[i])
  return " ".join(out)


def lengths(tokens: np.ndarray) -> np.ndarray:
  """`[N]` words per sentence of `tokens` `[N, L]`."""
  return np.sum(tokens > EOS, axis=-1)


def build(name: str, documents, *, min_length: int, max_length: int,
          min_count: int, max_vocab: int, validation: float,
          test: float) -> Dataset:
  """The sentence dataset of `documents` (see the module docstring)."""
  all_sentences = [s for d in documents for s in split_sentences(d)]
  kept = [s for s in all_sentences if min_length <= len(s) <= max_length]
  if len(kept) < 3:
    raise UserError(f"text {name!r} has {len(kept)} sentences of "
                    f"{min_length} to {max_length} words; at least 3 are "
                    "needed (change config.sentences.max_length / "
                    "min_length)")
  order = np.random.default_rng(SPLIT_SEED).permutation(len(kept))
  num_test = max(1, int(round(test * len(kept))))
  num_val = max(1, int(round(validation * len(kept))))
  parts = {"test": order[:num_test],
           "validation": order[num_test:num_test + num_val],
           "train": order[num_test + num_val:]}
  if not parts["train"].size:
    raise UserError(f"text {name!r}: no training sentences are left after "
                    "the validation and test fractions")
  train = [kept[i] for i in parts["train"]]
  vocab = text.build_vocabulary(train, min_count=min_count,
                                max_size=max_vocab)
  words = SPECIALS + vocab.words
  index = {w: i for i, w in enumerate(words)}
  splits = {s: {"tokens": encode([kept[i] for i in rows], index, max_length)}
            for s, rows in parts.items()}
  counts = np.concatenate([np.zeros(len(SPECIALS), np.int64), vocab.counts])
  train_tokens = splits["train"]["tokens"][:, 1:]
  return Dataset.create(
      name, splits, words=words, counts=counts, vocab_size=len(words),
      max_length=max_length, sentences_found=len(all_sentences),
      sentences_kept=len(kept),
      train_unk_rate=float(np.mean(train_tokens[train_tokens > EOS] == UNK)))


def load(config) -> Dataset:
  """The sentences of `config.data.name` with `config.sentences`'s settings
  (built once per process; a text file is read again when it changes),
  the training split cut to `data.num_train` sentences and the others to
  `data.num_test` when these are set."""
  s = config.sentences
  settings = dict(min_length=s.min_length, max_length=s.max_length,
                  min_count=s.min_count, max_vocab=s.max_vocab,
                  validation=s.validation_fraction, test=s.test_fraction)
  name = config.data.name
  key = text_sources.cache_key(name, settings)
  dataset = _CACHE.get(key) if key is not None else None
  if dataset is None:
    dataset = build(name, text_sources.read_documents(
        name, config.data.data_dir or None), **settings)
    if key is not None:
      _CACHE[key] = dataset
  cuts = {"train": config.data.num_train, "validation": config.data.num_test,
          "test": config.data.num_test}
  for split, n in cuts.items():
    if n and n < dataset.size(split):
      dataset = dataset.select(split, np.arange(n))
  return dataset
