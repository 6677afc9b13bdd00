"""Word-vector evaluation against gensim's KeyedVectors on gensim's own data.

The vocabularies hold the words of wordsim353.tsv, simlex999.txt and
questions-words.txt (lowercased) plus filler words, 3,000 in all, in a
shuffled frequency order (the test words mostly ahead of the filler, so that
a small `restrict_vocab` cuts through them). The vectors carry planted
relations (within each analogy section the second word of a pair is the
first plus a section offset plus noise), so that 3CosAdd answers a good
share of the questions and the correct/incorrect counts are both large.
"""

import sys

import numpy as np
import pytest

from unsup_jax.errors import UserError
from unsup_jax.eval import word_vectors

gensim_models = pytest.importorskip("gensim.models")

V, D = 3000, 20


def _path(name):
  return word_vectors.gensim_test_file(name)


def _file_words():
  words = set()
  for name in ("wordsim353.tsv", "simlex999.txt"):
    with open(_path(name), encoding="utf8") as f:
      for line in f:
        if not line.startswith("#"):
          words.update(w.lower() for w in line.split("\t")[:2])
  with open(_path("questions-words.txt"), encoding="utf8") as f:
    for line in f:
      if not line.startswith(":"):
        words.update(w.lower() for w in line.split())
  return sorted(words)


def _vocabulary(kind, seed=0):
  """3,000 words: "full", "oov" (15% of the test words left out) or "case"
  (150 capitalised variants of test words besides the lowercase ones)."""
  rng = np.random.default_rng(seed)
  words = _file_words()
  if kind == "oov":
    words = [w for w in words if rng.random() > 0.15]
  if kind == "case":
    chosen = rng.choice(len(words), 150, replace=False)
    words = words + sorted({words[i].capitalize() for i in chosen} - set(words))
  extras = [f"filler{i:04d}" for i in range(V - len(words))]
  key = np.concatenate([rng.random(len(words)), 0.5 + rng.random(len(extras))])
  both = words + extras
  return [both[i] for i in np.argsort(key, kind="stable")]


def _planted_vectors(words, seed=0, noise=0.6):
  rng = np.random.default_rng(seed)
  index = {w: i for i, w in enumerate(words)}
  vectors = rng.normal(size=(len(words), D))
  done, offset = set(), None
  with open(_path("questions-words.txt"), encoding="utf8") as f:
    for line in f:
      if line.startswith(":"):
        offset = rng.normal(size=D)
        continue
      a, b, c, d = line.lower().split()
      for x, y in ((a, b), (c, d)):
        if y not in done and x in index and y in index and x != y:
          vectors[index[y]] = (vectors[index[x]] + offset
                               + noise * rng.normal(size=D))
          done.add(y)
  return vectors.astype(np.float32)


_CASES = {}


def _case(kind):
  """`(words, vectors, gensim KeyedVectors)`, built once per kind."""
  if kind not in _CASES:
    words = _vocabulary(kind)
    vectors = _planted_vectors(words)
    kv = gensim_models.KeyedVectors(D)
    kv.add_vectors(words, vectors)
    _CASES[kind] = words, vectors, kv
  return _CASES[kind]


def test_vocabularies_are_as_described():
  full, oov, case = (_vocabulary(k) for k in ("full", "oov", "case"))
  assert len(full) == len(oov) == len(case) == V
  assert len(set(full)) == len(set(oov)) == len(set(case)) == V
  assert len(set(full) - set(oov)) > 200
  assert sum(w != w.lower() for w in case) > 100
  assert full[:5] != sorted(full[:5])  # Shuffled.


def test_unit_rows_have_unit_norm_and_zero_rows_stay_zero():
  rng = np.random.default_rng(1)
  scale = np.array([[1], [3], [0], [7], [0], [1e-6]])
  vectors = (rng.normal(size=(6, 5)) * scale).astype(np.float32)
  unit = word_vectors.unit_rows(vectors)
  assert unit.dtype == np.float32 and unit.shape == (6, 5)
  norms = np.linalg.norm(unit, axis=1)
  np.testing.assert_allclose(norms[[0, 1, 3, 5]], 1.0, rtol=1e-6)
  np.testing.assert_array_equal(unit[[2, 4]], 0.0)
  np.testing.assert_allclose(unit[1], vectors[1] / np.linalg.norm(vectors[1]),
                             rtol=1e-6)
  ints = word_vectors.unit_rows(np.array([[3, 4], [0, 0]]))
  np.testing.assert_allclose(ints, [[0.6, 0.8], [0.0, 0.0]])


@pytest.mark.parametrize("name", ["wordsim353.tsv", "simlex999.txt"])
@pytest.mark.parametrize("kind,restrict,case_insensitive", [
    ("full", 300_000, True), ("oov", 300_000, True), ("full", 1000, True),
    ("case", 300_000, True), ("case", 300_000, False)])
def test_word_similarity_equals_gensim(name, kind, restrict, case_insensitive):
  words, vectors, kv = _case(kind)
  path = _path(name)
  pearson, spearman, oov_ratio = kv.evaluate_word_pairs(
      path, restrict_vocab=restrict, case_insensitive=case_insensitive,
      dummy4unknown=False)
  got = word_vectors.word_similarity(words, vectors, path,
                                     restrict_vocab=restrict,
                                     case_insensitive=case_insensitive)
  assert got["spearman"] == pytest.approx(spearman[0], abs=1e-9)
  assert got["pearson"] == pytest.approx(pearson[0], abs=1e-6)
  assert got["oov_ratio"] == oov_ratio
  assert got["pairs_total"] == {"wordsim353.tsv": 353, "simlex999.txt": 999}[
      name]
  assert got["pairs_used"] == round(got["pairs_total"] * (1 - oov_ratio / 100))
  # Capitalised words (wordsim353 has 18 pairs with one) miss a lowercase
  # vocabulary when compared case-sensitively.
  some_oov = (kind == "oov" or restrict == 1000
              or (name, case_insensitive) == ("wordsim353.tsv", False))
  assert (got["oov_ratio"] > 0) == some_oov
  model, human, oov = word_vectors.pair_scores(
      words, vectors, path, restrict_vocab=restrict,
      case_insensitive=case_insensitive)
  assert len(model) == len(human) == got["pairs_used"]
  assert oov == got["pairs_total"] - got["pairs_used"]
  np.testing.assert_array_equal(got["model_scores"], model)
  np.testing.assert_array_equal(got["human_scores"], human)
  assert np.all(np.abs(model) <= 1 + 1e-6)


def test_word_similarity_reads_the_format_as_gensim_does(tmp_path):
  words, vectors, kv = _case("full")
  lines = ["# comment\ttiger\t3", "tiger\tcat\t7.35", "TIGER\tTiger\t10",
           "bad line", "tiger\tcat\tnot-a-number", "tiger\tcat\t1\textra",
           "", "love\tsex\t6.77", "cat\tnotaword\t2", "sex\tcat\t1e0",
           "cat\tlove\t3"]
  path = tmp_path / "pairs.tsv"
  path.write_text("\n".join(lines) + "\n")
  pearson, spearman, oov_ratio = kv.evaluate_word_pairs(str(path))
  got = word_vectors.word_similarity(words, vectors, str(path))
  assert (got["pairs_used"], got["pairs_total"]) == (5, 6)
  assert got["oov_ratio"] == oov_ratio == pytest.approx(100 / 6)
  assert got["spearman"] == pytest.approx(spearman[0], abs=1e-9)
  assert got["pearson"] == pytest.approx(pearson[0], abs=1e-6)


@pytest.mark.parametrize("kind,restrict,case_insensitive", [
    ("full", 30_000, True), ("full", 1000, True), ("oov", 30_000, True),
    ("case", 30_000, True), ("case", 2000, False)])
def test_word_analogies_equal_gensim(kind, restrict, case_insensitive):
  words, vectors, kv = _case(kind)
  path = _path("questions-words.txt")
  score, sections = kv.evaluate_word_analogies(
      path, restrict_vocab=restrict, case_insensitive=case_insensitive,
      dummy4unknown=False)
  got = word_vectors.word_analogies(words, vectors, path,
                                    restrict_vocab=restrict,
                                    case_insensitive=case_insensitive)
  *sections, total = sections
  assert total["section"] == "Total accuracy"
  assert got["accuracy"] == score
  assert (got["correct"], got["incorrect"]) == (len(total["correct"]),
                                                len(total["incorrect"]))
  assert list(got["section_counts"]) == [s["section"] for s in sections]
  for s in sections:
    counts = (len(s["correct"]), len(s["incorrect"]))
    assert got["section_counts"][s["section"]] == counts, s["section"]
    assert got["sections"][s["section"]] == (
        counts[0] / sum(counts) if sum(counts) else 0.0)
  assert got["total_questions"] == 19544
  assert got["oov_questions"] == 19544 - got["correct"] - got["incorrect"]
  assert got["oov_ratio"] == got["oov_questions"] / 19544 * 100
  if case_insensitive:  # Both outcomes are common: the counts say something.
    assert got["correct"] > 200 and got["incorrect"] > 200
  if kind == "oov" or restrict < 3000 or not case_insensitive:
    assert got["oov_questions"] > 1000
  else:
    assert got["oov_questions"] == 0


def _tiny(tmp_path, text, *, planted=True):
  rng = np.random.default_rng(3)
  words = ["man", "woman", "king"] + [f"w{i}" for i in range(200)] + ["queen"]
  vectors = word_vectors.unit_rows(rng.normal(size=(len(words), 8)))
  if planted:
    vectors[-1] = vectors[2] - vectors[0] + vectors[1]
  path = tmp_path / "questions.txt"
  path.write_text(text)
  return words, vectors.astype(np.float32), str(path)


def test_a_planted_analogy_is_answered_and_inputs_are_excluded(tmp_path):
  text = (": family\nman woman king queen\nMan Woman King Queen\n"
          "man woman king notaword\nnot four words\n"
          ": echo\nman man king king\n")
  words, vectors, path = _tiny(tmp_path, text)
  got = word_vectors.word_analogies(words, vectors, path)
  # b - a + c = king exactly in "echo", but king is an input: excluded.
  assert got["section_counts"] == {"family": (2, 0), "echo": (0, 1)}
  assert got["sections"] == {"family": 1.0, "echo": 0.0}
  assert (got["correct"], got["incorrect"]) == (2, 1)
  assert got["accuracy"] == pytest.approx(2 / 3)
  assert (got["oov_questions"], got["total_questions"]) == (1, 4)
  assert got["oov_ratio"] == 25.0
  kv = gensim_models.KeyedVectors(8)
  kv.add_vectors(words, vectors)
  score, sections = kv.evaluate_word_analogies(path)
  assert score == got["accuracy"]
  assert [len(s["correct"]) for s in sections] == [2, 0, 2]
  # Restricted to the first 100 words, queen is unknown.
  small = word_vectors.word_analogies(words, vectors, path, restrict_vocab=100)
  assert small["section_counts"] == {"family": (0, 0), "echo": (0, 1)}
  assert small["oov_questions"] == 3


def test_analogy_and_pair_files_with_nothing_usable_are_user_errors(tmp_path):
  words, vectors, path = _tiny(tmp_path, "man woman king queen\n")
  with pytest.raises(UserError, match="before the first"):
    word_vectors.word_analogies(words, vectors, path)
  words, vectors, path = _tiny(tmp_path, ": empty\nonly three words\n")
  with pytest.raises(UserError, match="no analogy question"):
    word_vectors.word_analogies(words, vectors, path)
  pairs = tmp_path / "pairs.tsv"
  pairs.write_text("notaword\tman\t3\nman woman 4\n")
  # No pair in the vocabulary: the correlations are undefined (None).
  empty = word_vectors.word_similarity(words, vectors, str(pairs))
  assert empty["spearman"] is None and empty["pearson"] is None
  assert empty["oov_ratio"] == 100.0 and empty["pairs_used"] == 0
  with pytest.raises(UserError, match="cannot read"):
    word_vectors.word_similarity(words, vectors, str(tmp_path / "missing"))


def test_nearest_neighbours_equal_gensim_most_similar():
  words, vectors, kv = _case("full")
  queries = [words[0], "king", "notaword", words[-1], "king"]
  got = word_vectors.nearest_neighbours(words, vectors, queries, k=8)
  assert list(got) == [words[0], "king", words[-1]]
  for query, neighbours in got.items():
    expected = kv.most_similar(query, topn=8)
    assert [w for w, _ in neighbours] == [w for w, _ in expected]
    np.testing.assert_allclose([s for _, s in neighbours],
                               [s for _, s in expected], atol=1e-6)
    assert query not in dict(neighbours)
  assert not word_vectors.nearest_neighbours(words, vectors, ["notaword"])
  top = word_vectors.nearest_neighbours(words[:4], vectors[:4], [words[0]],
                                        k=8)[words[0]]
  assert len(top) == 3


def test_gensim_test_files(monkeypatch):
  for name in word_vectors.TEST_FILES:
    with open(word_vectors.gensim_test_file(name), encoding="utf8") as f:
      assert f.read(1)
  with pytest.raises(UserError, match="no test file"):
    word_vectors.gensim_test_file("wordsim999.tsv")
  monkeypatch.setitem(sys.modules, "gensim.test.utils", None)
  with pytest.raises(UserError, match="pip install gensim"):
    word_vectors.gensim_test_file("wordsim353.tsv")
