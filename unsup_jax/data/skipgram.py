"""Skip-gram training pairs with negatives, as a resumable stream.

Mikolov, Sutskever, Chen, Corrado & Dean (2013), "Distributed
Representations of Words and Phrases and their Compositionality",
arXiv:1310.4546; the details follow the word2vec C tool and gensim:

* **subsampling**: every epoch, each token of word w is kept with
  probability min(1, (sqrt(f / t) + 1) t / f), f = count(w) / total, t =
  `sample` (word2vec's formula; 0 keeps everything); windows are then taken
  over the kept tokens of each sentence;
* **dynamic windows**: each kept centre token draws its reach r uniform in
  [1, `window`] and pairs with the kept tokens at most r away on either
  side, within its sentence;
* **negatives**: `negatives` words per pair drawn from the unigram
  distribution raised to the power 0.75 (by the alias method); with
  `negative_group` g > 1 the pairs of each run of g rows of a batch share
  the draw of the run's first pair (word2vec: g = 1, every pair its own).

An epoch's pairs are generated at once from `default_rng([*seed, epoch])`
and shuffled; the stream is the epochs' pairs one after another, cut into
global batches of `batch_size` pairs (a batch may span two epochs). The
batch at a position is a pure function of (seed, position), so a run
resumes exactly, whatever the number of processes; process i takes rows
[i B / P, (i + 1) B / P) of each global batch. Negatives of the batch at
position p come from `default_rng([*seed, NEGATIVE_STREAM, p])`.

`load(config, workdir)` gives the run's `SkipGramData` (the engine's data
protocol, `training.contract.Data`): the corpus is read and encoded once
and kept in `workdir/text/` (`data/text.py`).
"""

import concurrent.futures
import dataclasses
from typing import Mapping

import numpy as np

from unsup_jax.data import text, text_sources
from unsup_jax.data.dataset import Dataset, Feature, Spec, Stream
from unsup_jax.errors import UserError

NEGATIVE_STREAM = 0x4E47
NEGATIVE_POWER = 0.75
_CACHE: dict[str, text.Corpus] = {}


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
  """`[V]` probability of keeping a token of each word (1 when sample is
  0)."""
  counts = np.asarray(counts, np.float64)
  if sample <= 0:
    return np.ones_like(counts)
  threshold = sample * counts.sum()
  return np.minimum((np.sqrt(counts / threshold) + 1.0) * threshold / counts,
                    1.0)


def negative_distribution(counts: np.ndarray,
                          power: float = NEGATIVE_POWER) -> np.ndarray:
  """`[V]` probabilities proportional to count^power."""
  weights = np.asarray(counts, np.float64) ** power
  return weights / weights.sum()


class AliasSampler:
  """Draws from a discrete distribution in O(1) per draw: Walker's (1977)
  alias method with Vose's (1991) construction. A draw picks a column i
  uniformly and keeps i with probability `accept[i]`, else takes
  `alias[i]`; the columns' masses reproduce `probs` exactly (to rounding).
  """

  def __init__(self, probs: np.ndarray):
    n = len(probs)
    scaled = np.asarray(probs, np.float64) * n
    self.accept = np.ones(n)
    self.alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
      s, l = small.pop(), large.pop()
      self.accept[s], self.alias[s] = scaled[s], l
      scaled[l] -= 1.0 - scaled[s]
      (small if scaled[l] < 1.0 else large).append(l)

  def sample(self, rng: np.random.Generator, shape) -> np.ndarray:
    column = rng.integers(0, len(self.accept), shape, dtype=np.int32)
    keep = rng.random(shape) < self.accept[column]
    return np.where(keep, column, self.alias[column]).astype(np.int32)


def epoch_pairs(ids: np.ndarray, sentence: np.ndarray, keep: np.ndarray, *,
                window: int, rng: np.random.Generator):
  """One epoch's (centre, context) pairs `[M]` int32 each, shuffled.

  Args:
    ids: `[N]` token ids.
    sentence: `[N]` the sentence of each token.
    keep: `[V]` keep probabilities of the words.
    window: the largest reach.
    rng: the epoch's generator (subsampling, reaches, order).
  """
  kept = rng.random(len(ids)) < keep[ids]
  ids, sentence = ids[kept], sentence[kept]
  reach = rng.integers(1, window + 1, len(ids))
  centres, contexts = [], []
  for offset in range(1, window + 1):
    left = np.arange(len(ids) - offset)
    right = left + offset
    same = sentence[left] == sentence[right]
    forward = same & (reach[left] >= offset)      # centre left, context right
    backward = same & (reach[right] >= offset)    # centre right, context left
    centres += [ids[left[forward]], ids[right[backward]]]
    contexts += [ids[right[forward]], ids[left[backward]]]
  centre = np.concatenate(centres).astype(np.int32)
  context = np.concatenate(contexts).astype(np.int32)
  order = rng.permutation(len(centre))
  return centre[order], context[order]


class SkipGramIterator:
  """This process's shard of every global batch of pairs, by position: the
  `training.contract.BatchSource` of skip-gram streams.

  Batches are `{"centre": [B], "context": [B], "negatives": [B, K]}` int32
  (B this process's share).
  """

  def __init__(self, corpus: text.Corpus, *, batch_size: int, window: int,
               negatives: int, sample: float, seed, negative_group: int = 1,
               process_index: int = 0, process_count: int = 1):
    if batch_size % process_count:
      raise UserError(f"global batch size {batch_size} is not divisible by "
                      f"the process count {process_count}")
    if (batch_size // process_count) % negative_group:
      raise UserError(f"the batch of {batch_size // process_count} pairs "
                      f"per process is not a multiple of the negative group "
                      f"({negative_group})")
    self.corpus, self.batch_size = corpus, int(batch_size)
    self.window, self.negatives = int(window), int(negatives)
    self.group = int(negative_group)
    self._seed = tuple(int(s) for s in np.atleast_1d(seed))
    self._sentence = corpus.sentence_of()
    self._keep = keep_probabilities(corpus.vocab.counts, sample)
    self.sampler = AliasSampler(negative_distribution(corpus.vocab.counts))
    local = self.batch_size // process_count
    self._lo, self._hi = process_index * local, (process_index + 1) * local
    self._sizes: list[int] = []
    self._epochs: dict[int, concurrent.futures.Future] = {}
    self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1)

  def _generate(self, e: int):
    return epoch_pairs(self.corpus.ids, self._sentence, self._keep,
                       window=self.window,
                       rng=np.random.default_rng([*self._seed, e]))

  def epoch(self, e: int):
    """The pairs of epoch `e`. The next epoch is generated in a background
    thread meanwhile (numpy releases the GIL: it runs on a core the
    compiled step leaves idle); the last epochs used are kept."""
    for k in (e, e + 1):
      if k not in self._epochs:
        self._epochs[k] = self._worker.submit(self._generate, k)
    for k in [k for k in self._epochs if k < e - 1]:
      del self._epochs[k]
    return self._epochs[e].result()

  def pairs_in_epoch(self, e: int = 0) -> int:
    while len(self._sizes) <= e:
      self._sizes.append(len(self.epoch(len(self._sizes))[0]))
    return self._sizes[e]

  def pairs(self, start: int, stop: int):
    """Pairs [start, stop) of the stream of epochs."""
    e, offset = 0, start
    while offset >= self.pairs_in_epoch(e):
      offset -= self.pairs_in_epoch(e)
      e += 1
    parts, need = [], stop - start
    while need > 0:
      centre, context = self.epoch(e)
      take = slice(offset, min(offset + need, len(centre)))
      parts.append((centre[take], context[take]))
      need -= take.stop - take.start
      e, offset = e + 1, 0
    return (np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]))

  def batch_at(self, position: int) -> dict:
    start = position * self.batch_size
    centre, context = self.pairs(start + self._lo, start + self._hi)
    rng = np.random.default_rng([*self._seed, NEGATIVE_STREAM, position])
    draws = self.sampler.sample(rng, (self.batch_size // self.group,
                                      self.negatives))
    lo, hi = self._lo // self.group, self._hi // self.group
    negatives = np.repeat(draws[lo:hi], self.group, axis=0)
    return {"centre": centre, "context": context, "negatives": negatives}


@dataclasses.dataclass(frozen=True)
class SkipGramData:
  """A run's text data for skip-gram training (`training.contract.Data`).

  Attributes:
    corpus: the encoded corpus.
    view: what evaluation reads: split "train" (`tokens`), metadata
      `words`, `counts`, `raw_tokens`, `vocab_size`, `pairs_per_epoch`
      (of the first epoch).
    streams: {"train": the stream of pairs}.
    settings: window, negatives, sample, negative_group.
  """
  corpus: text.Corpus
  view: Dataset
  streams: Mapping[str, Stream]
  settings: Mapping[str, float]
  transform = None

  def iterator(self, name: str, *, process_index: int = 0,
               process_count: int = 1) -> SkipGramIterator:
    if name not in self.streams:
      raise UserError(f"stream {name!r} is not defined; skip-gram data has "
                      "the stream 'train' only")
    s = self.streams[name]
    return SkipGramIterator(self.corpus, batch_size=s.batch_size,
                            seed=s.seed, process_index=process_index,
                            process_count=process_count, **self.settings)

  def stream_index(self, name: str) -> int:
    return list(self.streams).index(name)

  def spec(self) -> Spec:
    k = int(self.settings["negatives"])
    features = {"centre": Feature((), "int32"), "context": Feature((), "int32"),
                "negatives": Feature((k,), "int32")}
    return Spec({"train": features}, dict(self.view.meta), self.corpus.name)


def load_corpus(config, workdir: str | None = None) -> text.Corpus:
  """`config.data.name`'s corpus over its vocabulary (`config.text`),
  built once per process and kept in `workdir/text/`."""
  t = config.text
  settings = dict(source=config.data.name, tokenizer=text.TOKENIZER_VERSION,
                  min_count=t.min_count, max_vocab=t.max_vocab,
                  max_sentence=t.max_sentence)
  key = text_sources.cache_key(config.data.name, settings)
  folder = None if workdir is None else f"{workdir}/text"
  corpus = text.load(folder, settings) if folder else None
  saved = corpus is not None
  if corpus is None:
    corpus = _CACHE.get(key)
  if corpus is None:
    sentences = text_sources.read_sentences(config.data.name,
                                            config.data.data_dir or None)
    vocab = text.build_vocabulary(sentences, min_count=t.min_count,
                                  max_size=t.max_vocab)
    corpus = text.encode(config.data.name, sentences, vocab,
                         max_sentence=t.max_sentence)
  if key is not None and not saved:    # what was built from the source
    _CACHE[key] = corpus
  if folder and not saved:
    text.save(corpus, folder, settings)
  return corpus


def load(config, workdir: str | None = None) -> SkipGramData:
  """The run's skip-gram data (`config.text`, `config.skipgram`)."""
  corpus = load_corpus(config, workdir)
  g = config.skipgram
  settings = dict(window=g.window, negatives=g.negatives, sample=g.sample,
                  negative_group=g.negative_group)
  first = SkipGramIterator(corpus, batch_size=config.data.batch_size,
                           seed=(config.seed,), **settings)
  view = Dataset.create(
      corpus.name, {"train": {"tokens": corpus.ids}},
      words=corpus.vocab.words, counts=corpus.vocab.counts,
      raw_tokens=corpus.raw_tokens, vocab_size=corpus.vocab.size,
      pairs_per_epoch=first.pairs_in_epoch(0))
  stream = Stream("train", "train", np.zeros(0, np.int64),
                  config.data.batch_size, (config.seed,))
  return SkipGramData(corpus, view, {"train": stream}, settings)
