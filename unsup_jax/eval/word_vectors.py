"""Word-vector evaluation: similarity, analogies, neighbours and 2-D maps.

The standard intrinsic evaluations of word embeddings, as pure numpy
functions of `(words, vectors)`, with `words` in decreasing corpus frequency
(index 0 the most frequent):

- word similarity: Spearman's ρ between cosine similarity and human scores
  of word pairs (WordSim-353, Finkelstein et al. 2002, "Placing search in
  context: the concept revisited", ACM TOIS 20(1); SimLex-999, Hill et al.
  2015, "SimLex-999: evaluating semantic models with (genuine) similarity
  estimation", Computational Linguistics 41(4));
- word analogies by 3CosAdd, "a is to b as c is to ?" answered by the word
  nearest to b - a + c (Mikolov et al. 2013, "Efficient estimation of word
  representations in vector space", ICLR workshop; its questions-words.txt).

Both reproduce gensim's `KeyedVectors.evaluate_word_pairs` and
`evaluate_word_analogies` (Řehůřek & Sojka 2010, gensim 4.x) with
`dummy4unknown=False`, which the tests check on gensim's own data:

- Only the first `restrict_vocab` words count as known. With
  `case_insensitive`, file words and vocabulary are compared in
  `str.upper()` form (so "Athens" finds "athens", and "straße" also finds
  "strasse"); where several vocabulary words share a form, the most frequent
  (first) one's vector is used.
- Similarity files: tab-separated `word1 word2 score` lines; lines starting
  with "#", lines without exactly three fields and unparsable scores are
  skipped and not counted. `oov_ratio` is the percentage of the counted
  pairs with an unknown word; those pairs are left out of ρ.
- Analogy files: `: section` lines, then whitespace-separated 4-word
  questions (lines of another length skipped, not counted). A question with
  any word unknown is skipped (counted in `oov_ratio`); otherwise the answer
  is the known word with the largest cosine to unit(b) - unit(a) + unit(c),
  excluding a, b and c (and every word of the same case-folded form).

Known differences from gensim, none reached with a lowercase vocabulary of
non-zero vectors: gensim looks at only its five best candidates (so more
than four case variants of a, b, c could hide the answer there), and gives
zero vectors a NaN score where here they score 0.

`map_coordinates` gives 2-D maps of the vectors: PCA, or t-SNE (van der
Maaten & Hinton 2008, "Visualizing data using t-SNE", JMLR 9) through
scikit-learn.
"""


import numpy as np
from scipy import stats

from unsup_jax.data import text_sources
from unsup_jax.errors import UserError

_CHUNK_ELEMENTS = 1 << 25  # Scores held at once (128 MB of float32).
TEST_FILES = ("wordsim353.tsv", "simlex999.txt", "questions-words.txt")


def unit_rows(vectors: np.ndarray) -> np.ndarray:
  """`[V, D]` rows scaled to unit L2 norm; zero rows stay zero.

  Float inputs keep their dtype; others become float64.
  """
  vectors = np.asarray(vectors)
  if not np.issubdtype(vectors.dtype, np.floating):
    vectors = vectors.astype(np.float64)
  if vectors.ndim != 2:
    raise ValueError(f"vectors must be [V, D], got shape {vectors.shape}")
  norms = np.linalg.norm(vectors, axis=1, keepdims=True)
  return vectors / np.where(norms > 0, norms, 1).astype(vectors.dtype)


def gensim_test_file(name: str) -> str:
  """Path of an evaluation set shipped in the gensim wheel (`TEST_FILES`)."""
  if name not in TEST_FILES:
    raise UserError(f"gensim has no test file {name!r}; its evaluation sets "
                    f"are {', '.join(TEST_FILES)}")
  return text_sources.gensim_file(name)


def _known(words, restrict_vocab, case_insensitive):
  """`{form: index}` of the first `restrict_vocab` words, first one winning."""
  known = {}
  for i, w in enumerate(list(words)[:restrict_vocab]):
    known.setdefault(w.upper() if case_insensitive else w, i)
  return known


def _check(words, vectors):
  vectors = np.asarray(vectors)
  if vectors.ndim != 2 or len(vectors) != len(words):
    raise ValueError(f"need [V, D] vectors for {len(words)} words, got "
                     f"shape {vectors.shape}")
  return vectors


def _read_lines(path):
  try:
    with open(path, encoding="utf8") as f:
      return f.readlines()
  except OSError as e:
    raise UserError(f"cannot read the evaluation file {path}: "
                    f"{e.strerror or e}") from e


def pair_scores(words, vectors, pairs_path, *, restrict_vocab=300_000,
                case_insensitive=True):
  """Model cosines and human scores of the in-vocabulary pairs of a file.

  Args:
    words: `[V]` words, most frequent first.
    vectors: `[V, D]` their vectors.
    pairs_path: tab-separated `word1 word2 score` file ("#" lines skipped).
    restrict_vocab: only the first this many words are known (None: all).
    case_insensitive: compare words in upper-case form.

  Returns:
    `(model [P], human [P], oov)`: cosines and human scores of the P pairs
    with both words known, and the number of pairs with an unknown word.
  """
  vectors = _check(words, vectors)
  known = _known(words, restrict_vocab, case_insensitive)
  left, right, human, oov = [], [], [], 0
  for line in _read_lines(pairs_path):
    if line.startswith("#"):
      continue
    fields = line.split("\t")
    if len(fields) != 3:
      continue
    try:
      score = float(fields[2])
    except ValueError:
      continue
    a, b = fields[:2]
    if case_insensitive:
      a, b = a.upper(), b.upper()
    if a not in known or b not in known:
      oov += 1
      continue
    left.append(known[a])
    right.append(known[b])
    human.append(score)
  unit = unit_rows(vectors)
  model = np.einsum("pd,pd->p", unit[left], unit[right]) if left else (
      np.zeros(0))
  return model, np.asarray(human, dtype=np.float64), oov


def word_similarity(words, vectors, pairs_path, *, restrict_vocab=300_000,
                    case_insensitive=True) -> dict:
  """Correlation of cosine similarity with human judgements of word pairs.

  Args:
    words: `[V]` words, most frequent first.
    vectors: `[V, D]` their vectors.
    pairs_path: tab-separated `word1 word2 score` file, e.g.
      `gensim_test_file("wordsim353.tsv")`.
    restrict_vocab: only the first this many words are known (None: all).
    case_insensitive: compare words in upper-case form.

  Returns:
    `{"spearman", "pearson", "oov_ratio" (percent of pairs with an unknown
    word), "pairs_used", "pairs_total", "model_scores" [P], "human_scores"
    [P]}`, the last two the cosines and human scores of the P pairs used;
    the correlations are None when fewer than 3 pairs are in the
    vocabulary (a small corpus), where they are not defined.
  """
  model, human, oov = pair_scores(words, vectors, pairs_path,
                                  restrict_vocab=restrict_vocab,
                                  case_insensitive=case_insensitive)
  total = len(model) + oov
  if len(model) < 3:
    return {"spearman": None, "pearson": None,
            "oov_ratio": oov / total * 100 if total else 100.0,
            "pairs_used": len(model), "pairs_total": total,
            "model_scores": model, "human_scores": human}
  return {"spearman": float(stats.spearmanr(human, model).statistic),
          "pearson": float(stats.pearsonr(human, model).statistic),
          "oov_ratio": oov / total * 100,
          "pairs_used": len(model), "pairs_total": total,
          "model_scores": model, "human_scores": human}


def _read_questions(path, known, case_insensitive):
  """`(sections, rows [Q, 5] (section, a, b, c, d), oov, total)`."""
  sections, rows, oov, total = [], [], 0, 0
  for line_no, line in enumerate(_read_lines(path)):
    if line.startswith(": "):
      sections.append(line.lstrip(": ").strip())
      continue
    if not sections:
      raise UserError(f"{path} line {line_no + 1}: a question before the "
                      f"first ': section' line")
    question = line.split()
    if len(question) != 4:
      continue
    total += 1
    if case_insensitive:
      question = [w.upper() for w in question]
    if any(w not in known for w in question):
      oov += 1
      continue
    rows.append([len(sections) - 1] + [known[w] for w in question])
  if not total:
    raise UserError(f"{path} holds no analogy question (lines of 4 words)")
  return sections, np.asarray(rows, dtype=np.int64).reshape(-1, 5), oov, total


def _answers(unit, canon, abcd):
  """`[Q]` bool: is the 3CosAdd answer of each `[Q, 4]` question right."""
  a, b, c, d = abcd.T
  if not len(a):
    return np.zeros(0, bool)
  duplicates = len(np.unique(canon)) < len(canon)
  chunk = int(np.clip(_CHUNK_ELEMENTS // max(len(unit), 1), 1, 1000))
  right = np.zeros(len(a), bool)
  for s in range(0, len(a), chunk):
    rows = slice(s, s + chunk)
    query = unit[b[rows]] + unit[c[rows]] - unit[a[rows]]
    scores = query @ unit.T  # [chunk, R]
    if duplicates:  # Words that share a form with a, b or c are excluded too.
      for w in (a, b, c):
        scores[canon[None, :] == w[rows, None]] = -np.inf
    else:
      q = np.arange(len(query))
      for w in (a, b, c):
        scores[q, w[rows]] = -np.inf
    best = scores.argmax(axis=1)
    found = np.isfinite(scores[np.arange(len(query)), best])
    right[rows] = found & (canon[best] == d[rows])
  return right


def word_analogies(words, vectors, questions_path, *, restrict_vocab=30_000,
                   case_insensitive=True) -> dict:
  """3CosAdd accuracy on an analogy file ("a b c d": a is to b as c to d).

  Args:
    words: `[V]` words, most frequent first.
    vectors: `[V, D]` their vectors.
    questions_path: `: section` lines and 4-word questions, e.g.
      `gensim_test_file("questions-words.txt")`.
    restrict_vocab: only the first this many words are known or answered
      (None: all).
    case_insensitive: compare words in upper-case form.

  Returns:
    `{"accuracy" (over the answered questions; 0 if none), "correct",
    "incorrect", "oov_questions", "total_questions", "oov_ratio" (percent),
    "sections": {name: accuracy}, "section_counts": {name: (correct,
    incorrect)}}`, sections in file order (a repeated name is merged).
  """
  vectors = _check(words, vectors)
  known = _known(words, restrict_vocab, case_insensitive)
  sections, rows, oov, total = _read_questions(questions_path, known,
                                               case_insensitive)
  head = list(words)[:restrict_vocab]
  canon = np.asarray([known[w.upper() if case_insensitive else w]
                      for w in head], dtype=np.int64)
  right = _answers(unit_rows(vectors[:len(head)]), canon, rows[:, 1:])
  counts = {name: [0, 0] for name in sections}
  for s, ok in zip(rows[:, 0], right):
    counts[sections[s]][0 if ok else 1] += 1
  correct = int(right.sum())
  answered = len(right)
  return {"accuracy": correct / answered if answered else 0.0,
          "correct": correct, "incorrect": answered - correct,
          "oov_questions": oov, "total_questions": total,
          "oov_ratio": oov / total * 100,
          "sections": {k: (c / (c + i) if c + i else 0.0)
                       for k, (c, i) in counts.items()},
          "section_counts": {k: tuple(v) for k, v in counts.items()}}


def nearest_neighbours(words, vectors, queries, k=8) -> dict:
  """The k words of largest cosine similarity to each query word.

  Args:
    words: `[V]` words.
    vectors: `[V, D]` their vectors.
    queries: words to look up (exact match, first occurrence); those not in
      `words` are left out.
    k: neighbours per query (the query itself excluded).

  Returns:
    `{query: [(word, cosine), ...]}`, most similar first.
  """
  vectors = _check(words, vectors)
  index = {}
  for i, w in enumerate(words):
    index.setdefault(w, i)
  found = list(dict.fromkeys(q for q in queries if q in index))
  unit = unit_rows(vectors)
  out = {}
  chunk = int(np.clip(_CHUNK_ELEMENTS // max(len(unit), 1), 1, 1000))
  for s in range(0, len(found), chunk):
    ids = np.asarray([index[q] for q in found[s:s + chunk]])
    scores = unit[ids] @ unit.T
    scores[np.arange(len(ids)), ids] = -np.inf
    for q, row in zip(found[s:s + chunk], scores):
      top = np.argsort(-row, kind="stable")[:min(k, len(row) - 1)]
      out[q] = [(words[j], float(row[j])) for j in top]
  return out


def map_coordinates(vectors, *, method="pca", seed=0) -> np.ndarray:
  """`[N, 2]` map of `[N, D]` vectors from their unit rows.

  Args:
    vectors: `[N, D]` vectors (e.g. of the N most frequent words).
    method: "pca" (the top two principal components of the centred unit
      vectors, by SVD; each component's largest loading positive) or "tsne"
      (scikit-learn's TSNE, PCA initialisation, perplexity min(30, (N-1)/3)).
    seed: t-SNE's random state.

  Returns:
    `[N, 2]` float64 coordinates.
  """
  unit = unit_rows(vectors).astype(np.float64)
  if method == "pca":
    centred = unit - unit.mean(axis=0)
    vt = np.linalg.svd(centred, full_matrices=False)[2][:2]
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    vt = vt * signs[:, None]
    coords = np.zeros((len(unit), 2))
    coords[:, :len(vt)] = centred @ vt.T
    return coords
  if method == "tsne":
    from sklearn.manifold import TSNE  # pylint: disable=g-import-not-at-top
    if len(unit) < 4:
      raise UserError(f"a t-SNE map needs at least 4 words, got {len(unit)}")
    tsne = TSNE(n_components=2, init="pca", random_state=seed,
                perplexity=min(30.0, (len(unit) - 1) / 3))
    return tsne.fit_transform(unit).astype(np.float64)
  raise UserError(f"unknown map method {method!r}: use 'pca' or 'tsne'")
