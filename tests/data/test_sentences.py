"""Sentences as padded token ids (`data/sentences.py`): splitting, the
markers and padding, the fixed train / validation / test split, the
vocabulary built on training sentences only, and the text and TFDS
sources."""

import numpy as np
import pytest

from tests.helpers import load_config
from unsup_jax.data import loader, sentences
from unsup_jax.errors import UserError

DOCS = [
    "The cat sat on the mat. The dog sat on the log! Did the cat see it?\n"
    "A new line starts a sentence",
    "The cat and the dog. Version 2.5 stays whole. The end",
] * 20


def _build(**kw):
  settings = dict(min_length=1, max_length=10, min_count=1, max_vocab=0,
                  validation=0.1, test=0.1)
  settings.update(kw)
  return sentences.build("docs", DOCS, **settings)


def test_documents_split_at_sentence_ends_and_line_breaks():
  got = sentences.split_sentences(DOCS[0])
  assert got == [["the", "cat", "sat", "on", "the", "mat"],
                 ["the", "dog", "sat", "on", "the", "log"],
                 ["did", "the", "cat", "see", "it"],
                 ["new", "line", "starts", "sentence"]]
  # A full stop not followed by a capital does not end a sentence.
  assert sentences.split_sentences(DOCS[1])[1] == ["version", "stays",
                                                   "whole"]


def test_rows_are_start_words_end_then_padding():
  ds = _build()
  words = list(ds.meta["words"])
  assert words[:4] == list(sentences.SPECIALS)
  for split in ("train", "validation", "test"):
    tokens = ds.split(split)["tokens"]
    assert tokens.shape[1] == 12 and tokens.dtype == np.int32
    assert np.all(tokens[:, 0] == sentences.BOS)
    n = sentences.lengths(tokens)
    rows = np.arange(len(tokens))
    assert np.all(tokens[rows, n + 1] == sentences.EOS)
    after = np.arange(12)[None, :] > (n + 1)[:, None]
    assert np.all(tokens[after] == sentences.PAD)
    assert np.all(tokens[~after & (np.arange(12)[None, :] > 0) &
                         (np.arange(12)[None, :] <= n[:, None])] > 3)
  row = ds.split("train")["tokens"][0]
  assert sentences.decode(row, words) in {
      " ".join(s) for d in DOCS for s in sentences.split_sentences(d)}


def test_split_is_fixed_disjoint_and_complete():
  a, b = _build(), _build()
  total = sum(a.size(s) for s in ("train", "validation", "test"))
  assert total == a.meta["sentences_kept"] == 7 * 20
  assert a.size("test") == a.size("validation") == 14
  for s in ("train", "validation", "test"):
    np.testing.assert_array_equal(a.split(s)["tokens"], b.split(s)["tokens"])


def test_vocabulary_comes_from_training_sentences_and_unknowns_are_unk():
  docs = ["Alpha beta gamma. Alpha beta delta."] * 30 + ["Zeta only once."]
  ds = sentences.build("docs", docs, min_length=1, max_length=10,
                       min_count=2, max_vocab=0, validation=0.1, test=0.1)
  words = list(ds.meta["words"])
  assert "zeta" not in words and "alpha" in words
  train = sentences.split_sentences(" ".join(docs))
  counts = {}
  for s in train:
    for w in s:
      counts[w] = counts.get(w, 0) + 1
  all_tokens = np.concatenate([ds.split(s)["tokens"].ravel()
                               for s in ("train", "validation", "test")])
  # "zeta", "only", "once" occur once: <unk> wherever the sentence landed.
  assert np.sum(all_tokens == sentences.UNK) == 3
  capped = sentences.build("docs", docs, min_length=1, max_length=10,
                           min_count=1, max_vocab=2, validation=0.1, test=0.1)
  assert list(capped.meta["words"][4:]) == ["alpha", "beta"]


def test_length_bounds_drop_sentences_and_bad_bounds_are_user_errors():
  ds = _build(min_length=5, max_length=5)
  for s in ("train", "validation", "test"):
    assert np.all(sentences.lengths(ds.split(s)["tokens"]) == 5)
  with pytest.raises(UserError, match="sentences of 40 to 50 words") as err:
    _build(min_length=40, max_length=50)
  assert "\n" not in str(err.value)


def test_text_files_and_config_cuts(tmp_path):
  path = tmp_path / "story.txt"
  path.write_text("\n".join(DOCS), encoding="utf-8")
  config = load_config("sentence_vae_enwiki")
  config.data.update(name=f"text:{path}", num_train=10, num_test=3,
                     batch_size=4)
  config.sentences.update(min_count=1, max_length=10)
  data = loader.load(config)
  assert data.dataset.size("train") == 10
  assert data.view.size("test") == data.view.size("validation") == 3
  assert data.spec().shape("tokens") == (12,)
  again = loader.load(config)             # from the in-process cache: cut too
  assert again.dataset.size("train") == 10 and again.view.size("test") == 3
  # An edited file is read again (the in-process cache follows the file).
  path.write_text("One two three. Four five six.\n" * 30, encoding="utf-8")
  words = set(loader.load(config).spec().meta["words"])
  assert {"one", "four"} <= words and "cat" not in words


def test_tfds_text_sets(monkeypatch):
  tfds = pytest.importorskip("tensorflow_datasets")
  monkeypatch.setattr(sentences, "_CACHE", {})
  config = load_config("sentence_vae_enwiki")
  config.data.update(name="tfds:imdb_reviews", num_train=0, num_test=0)
  config.sentences.update(min_count=1, min_length=1, max_length=200)
  with tfds.testing.mock_data(num_examples=30):
    ds = sentences.load(config)
    examples = tfds.as_numpy(tfds.load("imdb_reviews", split="train"))
    want = [s for e in examples
            for s in sentences.split_sentences(e["text"].decode())]
  assert ds.name == "tfds:imdb_reviews"
  assert ds.meta["sentences_kept"] == len(want) > 5
  # With min count 1 every training word is in the vocabulary.
  got = [sentences.decode(r, ds.meta["words"])
         for r in ds.split("train")["tokens"]]
  assert set(got) <= {" ".join(s) for s in want}
  assert len(got) == len(want) - ds.size("validation") - ds.size("test")
