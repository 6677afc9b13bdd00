"""Text as ids: a tokeniser, a vocabulary and the corpus of token ids.

`tokenize` lowercases and keeps runs of letters (any script) of 2 to 15
characters, the bounds of gensim's Wikipedia tokeniser (Rehurek & Sojka
2010, "Software Framework for Topic Modelling with Large Corpora"); digits
and punctuation separate tokens. A `Vocabulary` keeps the words seen at
least `min_count` times, at most `max_size` of them, ordered by decreasing
count (ties alphabetically), with their counts: the frequency table that
subsampling and negative sampling draw from (Mikolov et al. 2013,
"Distributed Representations of Words and Phrases and their
Compositionality", arXiv:1310.4546). A `Corpus` is the text as the ids of
its in-vocabulary tokens (out-of-vocabulary tokens are dropped before any
window is taken, as word2vec and gensim do), split into sentences of at
most `max_sentence` tokens (gensim trains on at most 10,000 words of a
sentence; longer documents are split here, not cut), and remembers how
many raw tokens it was made of: the count words per second are measured
in.

`save` / `load` keep a corpus in a folder (`corpus.npz`, `vocab.tsv`,
`text.json` with the settings it was built with), so that a run builds it
once and a resumed run reads the same vocabulary.
"""

import dataclasses
import json
import os
import re
from typing import Iterable, Sequence

import numpy as np

from unsup_jax.errors import UserError

TOKEN = re.compile(r"[^\W\d_]+")
MIN_TOKEN_LEN, MAX_TOKEN_LEN = 2, 15
# Bump when tokenisation changes: cached corpora of another version are
# rebuilt.
TOKENIZER_VERSION = 1


def tokenize(text: str) -> list[str]:
  """Lowercase runs of letters of 2 to 15 characters."""
  return [t for t in TOKEN.findall(text.lower())
          if MIN_TOKEN_LEN <= len(t) <= MAX_TOKEN_LEN]


@dataclasses.dataclass(frozen=True)
class Vocabulary:
  """Words by decreasing count, and their counts.

  Attributes:
    words: the words; id i is `words[i]`.
    counts: `[V]` int64 corpus counts.
  """
  words: tuple[str, ...]
  counts: np.ndarray

  def __post_init__(self):
    object.__setattr__(self, "_index",
                       {w: i for i, w in enumerate(self.words)})

  @property
  def size(self) -> int:
    return len(self.words)

  def ids(self, tokens: Sequence[str]) -> np.ndarray:
    """`[n]` int32 ids, -1 for out-of-vocabulary tokens."""
    return np.fromiter((self._index.get(t, -1) for t in tokens), np.int32,
                       count=len(tokens))


def build_vocabulary(sentences: Iterable[Sequence[str]], *, min_count: int,
                     max_size: int = 0) -> Vocabulary:
  """The words of `sentences` seen at least `min_count` times; the
  `max_size` most frequent of them (0: all)."""
  counts: dict[str, int] = {}
  for sentence in sentences:
    for token in sentence:
      counts[token] = counts.get(token, 0) + 1
  kept = sorted(((w, c) for w, c in counts.items() if c >= min_count),
                key=lambda wc: (-wc[1], wc[0]))
  if max_size:
    kept = kept[:max_size]
  if not kept:
    raise UserError(f"no word occurs at least {min_count} times in the "
                    f"corpus ({len(counts)} distinct words); lower "
                    "config.text.min_count")
  return Vocabulary(tuple(w for w, _ in kept),
                    np.asarray([c for _, c in kept], np.int64))


@dataclasses.dataclass(frozen=True)
class Corpus:
  """A text as token ids.

  Attributes:
    name: where it came from (e.g. "enwiki", "text:/path/file.txt").
    ids: `[N]` int32 ids of the in-vocabulary tokens, in reading order.
    starts: `[S + 1]` int64 offsets of the sentences in `ids`.
    raw_tokens: tokens before out-of-vocabulary ones were dropped.
    vocab: the vocabulary.
  """
  name: str
  ids: np.ndarray
  starts: np.ndarray
  raw_tokens: int
  vocab: Vocabulary

  @property
  def num_sentences(self) -> int:
    return len(self.starts) - 1

  def sentence_of(self) -> np.ndarray:
    """`[N]` the sentence of every token."""
    return np.repeat(np.arange(self.num_sentences), np.diff(self.starts))


def encode(name: str, sentences: Sequence[Sequence[str]], vocab: Vocabulary,
           *, max_sentence: int) -> Corpus:
  """`sentences` as a Corpus over `vocab`, each split into pieces of at
  most `max_sentence` in-vocabulary tokens (empty ones dropped)."""
  pieces, starts, raw = [], [0], 0
  for sentence in sentences:
    raw += len(sentence)
    ids = vocab.ids(sentence)
    ids = ids[ids >= 0]
    for lo in range(0, len(ids), max_sentence):
      piece = ids[lo:lo + max_sentence]
      pieces.append(piece)
      starts.append(starts[-1] + len(piece))
  ids = np.concatenate(pieces) if pieces else np.zeros(0, np.int32)
  if len(ids) < 2:
    raise UserError(f"corpus {name!r} has {len(ids)} in-vocabulary tokens; "
                    "it needs at least 2")
  return Corpus(name, ids.astype(np.int32), np.asarray(starts, np.int64), raw,
                vocab)


def save(corpus: Corpus, folder: str, settings: dict) -> None:
  """Writes `corpus` and the `settings` it was built with into `folder`
  (each file written to a temporary name and moved into place; the json
  last, so a folder with a json is complete)."""
  os.makedirs(folder, exist_ok=True)

  def atomic(name, write):
    tmp = os.path.join(folder, f".{name}.tmp")
    write(tmp)
    os.replace(tmp, os.path.join(folder, name))

  def npz(tmp):
    with open(tmp, "wb") as f:
      np.savez(f, ids=corpus.ids, starts=corpus.starts,
               counts=corpus.vocab.counts)

  def vocab(tmp):
    with open(tmp, "w", encoding="utf-8") as f:
      f.write("".join(f"{w}\n" for w in corpus.vocab.words))

  def meta(tmp):
    with open(tmp, "w", encoding="utf-8") as f:
      json.dump(dict(settings, name=corpus.name,
                     raw_tokens=int(corpus.raw_tokens)), f, indent=2)
  atomic("corpus.npz", npz)
  atomic("vocab.tsv", vocab)
  atomic("text.json", meta)


def load(folder: str, settings: dict) -> Corpus | None:
  """The corpus saved in `folder`, None when there is none; a UserError
  when it was built with other `settings` (the run there belongs to
  another vocabulary)."""
  meta_path = os.path.join(folder, "text.json")
  if not os.path.exists(meta_path):
    return None
  with open(meta_path, encoding="utf-8") as f:
    meta = json.load(f)
  saved = {k: meta.get(k) for k in settings}
  if saved != dict(settings):
    diff = next(k for k in settings if saved[k] != settings[k])
    raise UserError(f"{folder} holds a corpus built with {diff}={saved[diff]!r}"
                    f", not {settings[diff]!r}; use a new --workdir")
  with np.load(os.path.join(folder, "corpus.npz")) as z:
    ids, starts, counts = z["ids"], z["starts"], z["counts"]
  with open(os.path.join(folder, "vocab.tsv"), encoding="utf-8") as f:
    words = tuple(f.read().split("\n")[:-1])
  return Corpus(meta["name"], ids, starts, int(meta["raw_tokens"]),
                Vocabulary(words, counts))
