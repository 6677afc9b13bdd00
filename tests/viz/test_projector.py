"""Embedding-projector files, word-vector figures and 2-D maps."""

import ast
import importlib.util
import os

import numpy as np
import pytest
from sklearn.decomposition import PCA

from tests.helpers import read_metadata_tsv, read_vectors_tsv
from unsup_jax.errors import UserError
from unsup_jax.eval import word_vectors
from unsup_jax.viz import projector
from unsup_jax.viz import word2vec
from unsup_jax.viz.figures import plt

AWKWARD = ["the", "tab\there", "new\nline", "back\\slash", "\\t", "\\\\n",
           "cr\r", "", "ünïcödé", "  spaces  ", "#hash", "word\tfrequency",
           "a\\", "\t", "\n\n"]


def test_vectors_tsv_reads_back_the_same_float32():
  rng = np.random.default_rng(0)
  vectors = (rng.normal(size=(50, 7)) * 10.0 ** rng.integers(-30, 30, (50, 7))
             ).astype(np.float32)
  finfo = np.finfo(np.float32)
  vectors[0] = [finfo.max, -finfo.max, finfo.tiny, finfo.smallest_subnormal,
                -0.0, 1 / 3, np.nextafter(np.float32(1), np.float32(2))]
  text = projector.vectors_tsv(vectors)
  lines = text.split("\n")
  assert lines[-1] == "" and len(lines) == 51
  assert all(line.count("\t") == 6 for line in lines[:-1])
  back = read_vectors_tsv(text)
  assert back.dtype == np.float32 and back.shape == (50, 7)
  np.testing.assert_array_equal(back, vectors)
  assert np.signbit(back[0, 4])
  # float64 input is written as float32.
  np.testing.assert_array_equal(
      read_vectors_tsv(projector.vectors_tsv(vectors * 1.0)), vectors)
  with pytest.raises(ValueError, match="NaN"):
    projector.vectors_tsv(np.array([[1.0, np.nan]]))
  with pytest.raises(ValueError, match="different lengths"):
    read_vectors_tsv("1\t2\n3\n")


def test_metadata_tsv_reads_back_awkward_words_and_counts():
  counts = np.arange(len(AWKWARD))[::-1] * 10**9 + 1
  text = projector.metadata_tsv(AWKWARD, counts)
  lines = text.split("\n")
  assert lines[0] == "word\tfrequency" and lines[-1] == ""
  assert len(lines) == len(AWKWARD) + 2  # Header, rows, the final newline.
  assert all(line.count("\t") == 1 and "\r" not in line for line in lines[:-1])
  assert lines[2] == "tab\\there\t" + str(counts[1])
  words, back = read_metadata_tsv(text)
  assert words == AWKWARD
  assert back.dtype == np.int64
  np.testing.assert_array_equal(back, counts)
  with pytest.raises(ValueError, match="counts"):
    projector.metadata_tsv(["a", "b"], [1])
  with pytest.raises(ValueError, match="header"):
    read_metadata_tsv("the\t3\n")


def _projector_config_class():
  """TensorBoard's `ProjectorConfig` message, from the copy of its proto that
  ships in tensorflow (built in a private descriptor pool, without importing
  tensorflow)."""
  spec = importlib.util.find_spec("tensorflow")
  if spec is None or spec.origin is None:
    pytest.skip("tensorflow (for the projector's proto) is not installed")
  pb2 = os.path.join(os.path.dirname(spec.origin), "python", "keras",
                     "protobuf", "projector_config_pb2.py")
  if not os.path.exists(pb2):
    pytest.skip("this tensorflow has no projector_config_pb2.py")
  with open(pb2, encoding="utf8") as f:
    tree = ast.parse(f.read())
  serialized = next(
      node.value.args[0].value for node in ast.walk(tree)
      if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
      and getattr(node.value.func, "attr", "") == "AddSerializedFile")
  # pylint: disable-next=g-import-not-at-top
  from google.protobuf import descriptor_pool, message_factory
  pool = descriptor_pool.DescriptorPool()
  file = pool.AddSerializedFile(serialized)
  return message_factory.GetMessageClass(
      file.message_types_by_name["ProjectorConfig"])


def test_projector_config_names_the_files_in_tensorboards_format():
  from google.protobuf import text_format  # pylint: disable=g-import-not-at-top
  text = projector.projector_config()
  assert 'tensor_path: "vectors.tsv"' in text
  assert 'metadata_path: "metadata.tsv"' in text
  assert 'tensor_name: "word2vec"' in text
  config = text_format.Parse(text, _projector_config_class()())
  assert len(config.embeddings) == 1
  embedding = config.embeddings[0]
  assert (embedding.tensor_name, embedding.tensor_path,
          embedding.metadata_path) == ("word2vec", "vectors.tsv",
                                       "metadata.tsv")
  odd = projector.projector_config('say "hi" \\ ünï', "sub/v.tsv", "m d.tsv")
  embedding = text_format.Parse(odd, _projector_config_class()()).embeddings[0]
  assert (embedding.tensor_name, embedding.tensor_path,
          embedding.metadata_path) == ('say "hi" \\ ünï', "sub/v.tsv",
                                       "m d.tsv")


def _png(path):
  assert os.path.getsize(path) > 1000
  with open(path, "rb") as f:
    data = f.read()
  assert data[:8] == b"\x89PNG\r\n\x1a\n"
  assert not [f for f in os.listdir(os.path.dirname(path)) if ".tmp" in f]
  return data


def test_word_map_writes_a_deterministic_png(tmp_path):
  rng = np.random.default_rng(0)
  n = 400
  words = [f"word{i}" for i in range(n)]
  counts = np.sort(rng.zipf(1.5, n))[::-1]
  coords = rng.normal(size=(n, 2))
  first = _png(word2vec.word_map(coords, words, counts, str(tmp_path / "a.png"),
                                 "PCA of the 400 most frequent words"))
  again = _png(word2vec.word_map(coords, words, counts, str(tmp_path / "b.png"),
                                 "PCA of the 400 most frequent words"))
  assert first == again
  with pytest.raises(ValueError, match="coordinates"):
    word2vec.word_map(coords[:, :1], words, counts, str(tmp_path / "c.png"), "")


def test_word_map_labels_do_not_overlap():
  fig, ax = plt.subplots(figsize=(11.0, 9.0))
  rng = np.random.default_rng(1)
  coords = rng.normal(size=(300, 2))
  coords[:100] = 0.0  # A blob of 100 points: one label for all of them.
  ax.set(xlim=(-4, 4), ylim=(-4, 4))
  words = [f"w{i:03d}" for i in range(300)]
  order = np.arange(150)
  free_labels = word2vec._free_labels  # pylint: disable=protected-access
  placed = free_labels(ax, coords, order, words, fig)
  plt.close(fig)
  assert placed[0] == 0 and sum(i < 100 for i in placed) == 1
  assert 5 < len(placed) < 50
  xy = coords[placed]
  # Labels of 4 characters at 6 pt are about 20 px wide and 10 px high:
  # 0.17 and 0.11 data units on this figure's axes (about 850 x 690 px).
  for i in range(len(placed)):
    for j in range(i):
      dx, dy = np.abs(xy[i] - xy[j])
      assert dx > 0.15 or dy > 0.1


def test_similarity_scatter_writes_a_png_with_rho(tmp_path, monkeypatch):
  rng = np.random.default_rng(2)
  human = rng.uniform(0, 10, 300)
  model = np.tanh(human / 10 + rng.normal(0, 0.3, 300))
  titles = []
  real_set = plt.Axes.set

  def spy(self, **kwargs):
    if "title" in kwargs:
      titles.append(kwargs["title"])
    return real_set(self, **kwargs)

  monkeypatch.setattr(plt.Axes, "set", spy)
  _png(word2vec.similarity_scatter(model, human, str(tmp_path / "s.png"),
                                   "WordSim-353"))
  from scipy import stats  # pylint: disable=g-import-not-at-top
  rho = stats.spearmanr(human, model).statistic
  assert titles == [f"WordSim-353\nSpearman ρ = {rho:.3f} over 300 pairs"]
  with pytest.raises(ValueError, match="human"):
    word2vec.similarity_scatter(model, human[:5], str(tmp_path / "t.png"), "")


def test_pca_map_is_the_top_two_components_of_the_unit_vectors():
  rng = np.random.default_rng(3)
  vectors = rng.normal(size=(200, 12)) * np.linspace(3, 0.5, 12)
  vectors[:50] *= 100.0  # Norms must not matter: unit vectors are mapped.
  coords = word_vectors.map_coordinates(vectors, method="pca")
  assert coords.shape == (200, 2)
  np.testing.assert_array_equal(
      coords, word_vectors.map_coordinates(vectors, method="pca", seed=7))
  unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
  reference = PCA(2).fit_transform(unit)
  np.testing.assert_allclose(np.abs(coords), np.abs(reference), atol=1e-9)
  variance = coords.var(axis=0)
  assert variance[0] > variance[1]
  centred = unit - unit.mean(0)
  directions = rng.normal(size=(12, 100))
  directions /= np.linalg.norm(directions, axis=0)
  assert variance[0] >= (centred @ directions).var(axis=0).max()


def test_tsne_map_is_deterministic_and_keeps_clusters_apart():
  rng = np.random.default_rng(4)
  centres = rng.normal(size=(3, 10)) * 3.0
  cluster = np.repeat(np.arange(3), 20)
  vectors = centres[cluster] + rng.normal(size=(60, 10))
  first = word_vectors.map_coordinates(vectors, method="tsne", seed=0)
  assert first.shape == (60, 2) and np.all(np.isfinite(first))
  np.testing.assert_array_equal(
      first, word_vectors.map_coordinates(vectors, method="tsne", seed=0))
  # Rows scaled by powers of two have the same unit vectors: the same map.
  scaled = vectors * 2.0 ** rng.integers(-8, 8, (60, 1))
  np.testing.assert_array_equal(
      first, word_vectors.map_coordinates(scaled, method="tsne", seed=0))
  distances = np.linalg.norm(first[:, None] - first[None], axis=-1)
  np.fill_diagonal(distances, np.inf)
  assert np.mean(cluster[distances.argmin(1)] == cluster) > 0.95
  # Few words: the perplexity drops below the number of points.
  assert word_vectors.map_coordinates(vectors[:8], method="tsne").shape == (
      8, 2)
  with pytest.raises(UserError, match="unknown map method"):
    word_vectors.map_coordinates(vectors, method="umap")
