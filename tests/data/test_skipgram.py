"""Skip-gram pairs (`data/skipgram.py`): subsampling, dynamic windows and
negatives against their definitions (statistically, with tolerances from
standard errors), the resumable sharded stream of batches, and the corpus
kept in the workdir."""

import os

import numpy as np
import pytest
from scipy import stats

from tests.helpers import load_config
from unsup_jax.data import loader, skipgram, text, text_sources
from unsup_jax.errors import UserError

# Family-wise false-alarm rate of each statistical test (Bonferroni over its
# comparisons): the draws are seeded, so a pass is a pass for good, but a
# broken sampler is far outside these bounds.
ALPHA = 1e-4


def _z_bound(comparisons: int) -> float:
  return float(stats.norm.isf(ALPHA / (2 * comparisons)))


def _zipf_sentences(seed=0, sentences=400, vocab=30, max_len=25):
  """Sentences of 1 to `max_len` words drawn with P(word r) ~ 1/r: a few
  words make up most tokens, as in text."""
  rng = np.random.default_rng(seed)
  p = 1.0 / np.arange(1, vocab + 1)
  p /= p.sum()
  words = np.array([f"w{i:02d}" for i in range(vocab)])
  return [list(words[rng.choice(vocab, rng.integers(1, max_len + 1), p=p)])
          for _ in range(sentences)]


def _zipf_corpus(**kwargs) -> text.Corpus:
  sentences = _zipf_sentences(**kwargs)
  vocab = text.build_vocabulary(sentences, min_count=1)
  return text.encode("zipf", sentences, vocab, max_sentence=10_000)


def _iterator(corpus=None, **kwargs):
  settings = dict(batch_size=64, window=3, negatives=4, sample=0.01,
                  seed=(5,))
  settings.update(kwargs)
  return skipgram.SkipGramIterator(corpus or _zipf_corpus(), **settings)


# Subsampling.


def test_keep_probability_is_word2vecs_formula():
  counts = np.array([5000, 1200, 300, 40, 7, 1])
  total = counts.sum()
  for t in (1e-3, 1e-2, 0.05):
    f = counts / total
    want = np.minimum(1.0, (np.sqrt(f / t) + 1.0) * t / f)
    np.testing.assert_allclose(skipgram.keep_probabilities(counts, t), want,
                               rtol=1e-12)
  # One value by hand: f = 5000 / 6548, t = 0.01.
  f0 = 5000 / 6548
  assert skipgram.keep_probabilities(counts, 0.01)[0] == pytest.approx(
      (np.sqrt(f0 / 0.01) + 1) * 0.01 / f0, rel=1e-12)
  assert skipgram.keep_probabilities(counts, 0.01)[0] < 0.15
  np.testing.assert_array_equal(skipgram.keep_probabilities(counts, 0.0), 1.0)


def test_keep_probability_is_gensims():
  from gensim.models import Word2Vec  # pylint: disable=g-import-not-at-top
  sentences = _zipf_sentences(seed=1, sentences=100)
  vocab = text.build_vocabulary(sentences, min_count=1)
  model = Word2Vec(vector_size=4, min_count=1, sample=0.01)
  model.build_vocab(sentences)
  gensim_keep = np.array([model.wv.get_vecattr(w, "sample_int")
                          for w in vocab.words]) / (2**32 - 1)
  keep = skipgram.keep_probabilities(vocab.counts, 0.01)
  assert keep.min() < 0.5          # several words are subsampled
  np.testing.assert_allclose(keep, gensim_keep, atol=1e-9)


def test_subsampling_keeps_each_word_with_its_keep_probability():
  # Each token of the Zipf corpus becomes its own id (so the pairs show
  # which tokens were kept) with its word's keep probability; each sentence
  # starts with an anchor token that is always kept, so that every kept
  # token has a kept neighbour and appears in a pair.
  corpus = _zipf_corpus()
  keep_word = skipgram.keep_probabilities(corpus.vocab.counts, 0.01)
  assert np.sum(keep_word < 0.7) >= 5 and np.any(keep_word == 1.0)
  sentence = corpus.sentence_of()
  n, s = len(corpus.ids), corpus.num_sentences
  anchor_at = corpus.starts[:-1] + np.arange(s)       # in the new layout
  word = np.full(n + s, -1)
  is_token = np.ones(n + s, bool)
  is_token[anchor_at] = False
  word[is_token] = corpus.ids
  new_sentence = np.empty(n + s, np.int64)
  new_sentence[is_token] = sentence
  new_sentence[anchor_at] = np.arange(s)
  keep = np.where(is_token, keep_word[np.maximum(word, 0)], 1.0)
  epochs = 30
  kept = np.zeros(corpus.vocab.size)
  rng = np.random.default_rng(0)
  for _ in range(epochs):
    centre, context = skipgram.epoch_pairs(
        np.arange(n + s), new_sentence, keep, window=2, rng=rng)
    seen = np.unique(np.concatenate([centre, context]))
    seen = seen[is_token[seen]]
    kept += np.bincount(word[seen], minlength=corpus.vocab.size)
  tokens = corpus.vocab.counts * epochs
  expected = tokens * keep_word
  always = keep_word == 1.0
  np.testing.assert_array_equal(kept[always], tokens[always])
  sd = np.sqrt(tokens * keep_word * (1 - keep_word))[~always]
  z = (kept[~always] - expected[~always]) / sd
  assert np.max(np.abs(z)) < _z_bound(len(z)), z


def test_pairs_are_a_function_of_the_tokens_keep_probabilities():
  # The same draws with every token relabelled by position: the word pairs
  # are the position pairs read through the ids.
  corpus = _zipf_corpus()
  keep = skipgram.keep_probabilities(corpus.vocab.counts, 0.01)
  sentence = corpus.sentence_of()
  c, x = skipgram.epoch_pairs(corpus.ids, sentence, keep, window=3,
                              rng=np.random.default_rng(4))
  pc, px = skipgram.epoch_pairs(np.arange(len(corpus.ids)), sentence,
                                keep[corpus.ids], window=3,
                                rng=np.random.default_rng(4))
  np.testing.assert_array_equal(c, corpus.ids[pc])
  np.testing.assert_array_equal(x, corpus.ids[px])


# Windows.


def _window_statistics(window, epochs=6, n=20_000, keep_p=0.6):
  """Pairs of `epochs` epochs over `n` distinct tokens in sentences of 1 to
  30, checked pair by pair; returns per distance d the pairs found, the
  expected count and its variance given the kept tokens."""
  rng = np.random.default_rng(1)
  lengths = rng.integers(1, 31, n)
  starts = np.concatenate([[0], np.cumsum(lengths)])
  starts = starts[starts < n]
  sentence = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
  found = np.zeros(window + 1)
  mean = np.zeros(window + 1)
  var = np.zeros(window + 1)
  p = (window - np.arange(window + 1) + 1) / window   # P(reach >= d)
  keep = np.full(n, keep_p)
  for e in range(epochs):
    centre, context = skipgram.epoch_pairs(
        np.arange(n), sentence, keep, window=window,
        rng=np.random.default_rng([7, e]))
    assert len(np.unique(centre * n + context)) == len(centre)   # no repeats
    kept = np.unique(np.concatenate([centre, context]))
    rank = np.full(n, -1)
    rank[kept] = np.arange(len(kept))
    s_of = sentence[kept]
    # Every pair is inside one sentence, 1 to `window` kept tokens apart.
    assert np.all(sentence[centre] == sentence[context])
    dist = np.abs(rank[centre] - rank[context])
    assert dist.min() >= 1 and dist.max() <= window
    # The pairs are shuffled: their order says nothing of their distance or
    # place in the text (a correlation of 0 has standard error 1/sqrt(M)).
    for x in (dist, centre):
      r = np.corrcoef(np.arange(len(x)), x)[0, 1]
      assert abs(r) < _z_bound(2 * epochs) / np.sqrt(len(x)), r
    # Both directions: pairs at distance 1 always come with their reverse,
    # and contexts lie on both sides.
    near = dist == 1
    assert np.all(np.isin(context[near] * n + centre[near],
                          centre * n + context))
    assert np.any(context > centre) and np.any(context < centre)
    # A centre's contexts are all kept tokens of its sentence within its
    # reach (its farthest context) on both sides.
    reach = np.zeros(n, int)
    np.maximum.at(reach, centre, dist)
    pairs_of = np.bincount(centre, minlength=n)
    first = np.searchsorted(s_of, s_of, side="left")     # rank of the first
    last = np.searchsorted(s_of, s_of, side="right") - 1  # kept of sentence
    r = reach[kept]
    i = np.arange(len(kept))
    want = np.minimum(r, i - first) + np.minimum(r, last - i)
    np.testing.assert_array_equal(pairs_of[kept], want)
    # Opportunities at each distance (centre has a kept token d away in its
    # sentence on 0, 1 or 2 sides).
    for d in range(1, window + 1):
      sides = (i - first >= d).astype(int) + (last - i >= d)
      found[d] += np.sum(dist == d)
      mean[d] += p[d] * sides.sum()
      var[d] += p[d] * (1 - p[d]) * np.sum(sides**2)
  return found, mean, var


def test_pairs_lie_within_dynamic_windows_of_kept_tokens():
  w = 5
  found, mean, var = _window_statistics(w)
  # Distance 1 is always within reach; the others are reached with
  # probability (W - d + 1) / W.
  assert found[1] == mean[1] and var[1] == 0
  z = (found[2:] - mean[2:]) / np.sqrt(var[2:])
  assert np.max(np.abs(z)) < _z_bound(w - 1), z
  # Pairs at distance W are rarer than at distance 1 by W (per chance to
  # occur): the ratio's relative standard error is that of found[W].
  ratio = (found[1] / mean[1] * w) / (found[w] / mean[w])
  rel_se = np.sqrt(var[w]) / mean[w]
  assert abs(ratio / w - 1) < _z_bound(1) * rel_se, (ratio, rel_se)
  assert rel_se < 0.03


# Negatives.


def test_alias_sampler_columns_reproduce_the_distribution():
  for counts in (np.array([1, 1]), np.array([7]), np.array([1000, 1, 1, 1]),
                 np.random.default_rng(0).integers(1, 10_000, 997)):
    probs = skipgram.negative_distribution(counts)
    sampler = skipgram.AliasSampler(probs)
    n = len(probs)
    mass = (np.bincount(np.arange(n), sampler.accept, minlength=n)
            + np.bincount(sampler.alias, 1 - sampler.accept, minlength=n)) / n
    np.testing.assert_allclose(mass, probs, rtol=1e-9, atol=1e-15)
    assert np.all((sampler.accept >= 0) & (sampler.accept <= 1 + 1e-12))


def test_alias_draws_follow_unigram_to_the_three_quarters():
  counts = np.array([1, 2, 3, 10, 50, 200, 1000, 5000, 7, 7, 20_000])
  probs = skipgram.negative_distribution(counts)
  np.testing.assert_allclose(probs, counts**0.75 / np.sum(counts**0.75),
                             rtol=1e-12)
  assert skipgram.negative_distribution(counts, 1.0) == pytest.approx(
      counts / counts.sum())
  draws = skipgram.AliasSampler(probs).sample(np.random.default_rng(3),
                                              (1000, 1000))
  assert draws.dtype == np.int32 and draws.shape == (1000, 1000)
  observed = np.bincount(draws.ravel(), minlength=len(counts))
  n = draws.size
  z = (observed - n * probs) / np.sqrt(n * probs * (1 - probs))
  assert np.max(np.abs(z)) < _z_bound(len(counts)), z
  assert stats.chisquare(observed, n * probs).pvalue > ALPHA


def test_alias_draws_over_a_real_vocabulary():
  corpus = _lee_corpus()
  probs = skipgram.negative_distribution(corpus.vocab.counts)
  draws = skipgram.AliasSampler(probs).sample(np.random.default_rng(0),
                                              (1_000_000,))
  observed = np.bincount(draws, minlength=len(probs))
  expected = draws.size * probs
  assert expected.min() > 20         # the chi-square approximation holds
  assert stats.chisquare(observed, expected).pvalue > ALPHA


def _lee_corpus():
  sentences = text_sources.read_sentences("lee")
  vocab = text.build_vocabulary(sentences, min_count=5)
  return text.encode("lee", sentences, vocab, max_sentence=10_000)


# The stream of batches.


def test_epochs_are_drawn_from_seed_and_epoch():
  corpus = _zipf_corpus()
  it = _iterator(corpus)
  keep = skipgram.keep_probabilities(corpus.vocab.counts, 0.01)
  for e in (0, 1):
    want = skipgram.epoch_pairs(corpus.ids, corpus.sentence_of(), keep,
                                window=3, rng=np.random.default_rng([5, e]))
    np.testing.assert_array_equal(it.epoch(e)[0], want[0])
    np.testing.assert_array_equal(it.epoch(e)[1], want[1])
  # Epochs differ: other tokens kept, other reaches, another order.
  a, b = it.epoch(0), it.epoch(1)
  assert len(a[0]) != len(b[0]) or not np.array_equal(a[0], b[0])
  pairs = lambda ep: np.sort(ep[0].astype(np.int64) * 1000 + ep[1])
  assert len(a[0]) != len(b[0]) or not np.array_equal(pairs(a), pairs(b))


def test_batch_at_a_position_does_not_depend_on_what_was_read():
  corpus = _zipf_corpus()
  fresh = _iterator(corpus).batch_at(7)
  it = _iterator(corpus)
  for p in (300, 0, 1, 2):
    it.batch_at(p)
  again = it.batch_at(7)
  for k in ("centre", "context", "negatives"):
    np.testing.assert_array_equal(fresh[k], again[k])
  assert fresh["centre"].shape == (64,) and fresh["negatives"].shape == (64, 4)
  assert fresh["centre"].dtype == np.int32
  # Every position draws its own negatives.
  draws = {it.batch_at(p)["negatives"].tobytes() for p in range(12)}
  assert len(draws) == 12


def test_a_batch_is_a_function_of_its_position_alone():
  """A fresh iterator gives, at each position, what an iterator that drew
  the earlier positions gives (what a resumed run relies on)."""
  corpus = _zipf_corpus()
  it = _iterator(corpus)
  drawn = [it.batch_at(p) for p in range(6)]
  other = _iterator(corpus)
  for p in (5, 3, 4):
    got = other.batch_at(p)
    for k in drawn[p]:
      np.testing.assert_array_equal(got[k], drawn[p][k])


@pytest.mark.parametrize("group", [1, 8])
def test_process_shards_concatenate_to_the_global_batch(group):
  corpus = _zipf_corpus()
  whole = _iterator(corpus, negative_group=group)
  shards = [_iterator(corpus, negative_group=group, process_index=i,
                      process_count=2) for i in range(2)]
  for p in (0, 5):
    want = whole.batch_at(p)
    got = [s.batch_at(p) for s in shards]
    assert got[0]["centre"].shape == (32,)
    for k in want:
      np.testing.assert_array_equal(
          np.concatenate([g[k] for g in got]), want[k], err_msg=k)


def test_a_batch_spanning_an_epoch_end_continues_into_the_next():
  corpus = _zipf_corpus()
  b = 64
  it = _iterator(corpus, batch_size=b)
  n0, n1 = it.pairs_in_epoch(0), it.pairs_in_epoch(1)
  assert n0 % b and n0 != n1
  e0, e1, e2 = it.epoch(0), it.epoch(1), it.epoch(2)
  stream = [np.concatenate([e[i] for e in (e0, e1, e2)]) for i in (0, 1)]
  # The batch straddling the end of epoch 0, and one inside epoch 2.
  for p in (n0 // b, (n0 + n1) // b + 2):
    batch = it.batch_at(p)
    for i, k in enumerate(("centre", "context")):
      np.testing.assert_array_equal(batch[k], stream[i][p * b:(p + 1) * b])
  straddle = it.batch_at(n0 // b)["centre"]
  np.testing.assert_array_equal(straddle[:n0 % b], e0[0][-(n0 % b):])
  np.testing.assert_array_equal(straddle[n0 % b:], e1[0][:b - n0 % b])


def test_a_negative_group_shares_its_draw():
  g, b = 8, 64
  batch = _iterator(batch_size=b, negative_group=g).batch_at(3)
  runs = batch["negatives"].reshape(b // g, g, -1)
  np.testing.assert_array_equal(runs, np.repeat(runs[:, :1], g, axis=1))
  heads = runs[:, 0]
  assert len(np.unique(heads, axis=0)) == b // g
  # Without groups every row draws its own.
  single = _iterator(batch_size=b).batch_at(3)["negatives"]
  assert len(np.unique(single, axis=0)) > b - 4


@pytest.mark.parametrize("kwargs,message", [
    (dict(batch_size=63, process_count=2), "not divisible by the process"),
    (dict(batch_size=64, negative_group=6), "multiple of the negative group"),
    (dict(batch_size=64, negative_group=64, process_count=2),
     "32 pairs per process is not a multiple"),
])
def test_batches_that_do_not_split_are_user_errors(kwargs, message):
  with pytest.raises(UserError, match=message) as err:
    _iterator(**kwargs)
  assert "\n" not in str(err.value)


# The corpus of a run.


def _config(**text_settings):
  config = load_config("word2vec_lee")
  config.text.update(text_settings)
  return config


def test_the_corpus_is_kept_in_the_workdir(tmp_path, monkeypatch):
  monkeypatch.setattr(skipgram, "_CACHE", {})
  config = _config()
  workdir = str(tmp_path)
  data = loader.load(config, workdir)
  assert isinstance(data, skipgram.SkipGramData)
  built = data.corpus
  assert sorted(os.listdir(tmp_path / "text")) == ["corpus.npz", "text.json",
                                                    "vocab.tsv"]
  monkeypatch.setattr(skipgram, "_CACHE", {})
  read = skipgram.load_corpus(config, workdir)
  assert read is not built
  assert read.name == built.name == "lee"
  assert read.raw_tokens == built.raw_tokens > 50_000
  assert read.vocab.words == built.vocab.words
  for a, b in ((read.ids, built.ids), (read.starts, built.starts),
               (read.vocab.counts, built.vocab.counts)):
    np.testing.assert_array_equal(a, b)
    assert a.dtype == b.dtype
  assert built.vocab.counts.min() >= 5
  # What the engine is handed.
  meta = data.spec().meta
  assert meta["vocab_size"] == built.vocab.size
  assert meta["pairs_per_epoch"] == data.iterator("train").pairs_in_epoch(0)
  assert data.spec().features["negatives"].shape == (5,)
  # Another vocabulary in the same workdir is refused.
  with pytest.raises(UserError, match="min_count=5.*not 6") as err:
    skipgram.load_corpus(_config(min_count=6), workdir)
  assert "\n" not in str(err.value)


def test_a_text_file(tmp_path, monkeypatch):
  monkeypatch.setattr(skipgram, "_CACHE", {})
  path = tmp_path / "my.txt"
  path.write_text("The cat sat on the mat.\n\n  \nThe dog, the CAT; 42 x\n"
                  "the cat\n", encoding="utf-8")
  config = _config(min_count=2)
  config.data.name = f"text:{path}"
  corpus = skipgram.load_corpus(config)
  assert corpus.vocab.words == ("the", "cat")
  assert corpus.vocab.counts.tolist() == [5, 3]
  # Blank lines are no sentences; "x" and "42" are no tokens.
  np.testing.assert_array_equal(corpus.ids, [0, 1, 0, 0, 0, 1, 0, 1])
  np.testing.assert_array_equal(corpus.starts, [0, 3, 6, 8])
  assert corpus.raw_tokens == 12


@pytest.mark.parametrize("name,message", [
    ("nosuchcorpus", "unknown text source 'nosuchcorpus'"),
    ("text:/no/such/file.txt", "text file not found: /no/such/file.txt"),
])
def test_unknown_sources_and_missing_files_are_user_errors(name, message):
  config = _config()
  config.data.name = name
  with pytest.raises(UserError, match=message) as err:
    skipgram.load_corpus(config)
  assert "\n" not in str(err.value)


def test_tfds_text_sets(monkeypatch):
  tfds = pytest.importorskip("tensorflow_datasets")
  monkeypatch.setattr(skipgram, "_CACHE", {})    # the mock's corpus stays here
  config = _config(min_count=1)
  config.data.name = "tfds:lm1b"
  with tfds.testing.mock_data(num_examples=20):
    corpus = skipgram.load_corpus(config)
    examples = tfds.as_numpy(tfds.load("lm1b", split="train"))
    sentences = [t for t in (text.tokenize(e["text"].decode())
                             for e in examples) if t]
  assert corpus.name == "tfds:lm1b"
  assert corpus.num_sentences == len(sentences) > 5
  words = np.asarray(corpus.vocab.words)
  np.testing.assert_array_equal(words[corpus.ids],
                                [w for s in sentences for w in s])
  config.data.name = "tfds:mnist"
  with tfds.testing.mock_data(num_examples=4):
    with pytest.raises(UserError, match="no 'text' feature") as err:
      skipgram.load_corpus(config)
  assert "\n" not in str(err.value)
