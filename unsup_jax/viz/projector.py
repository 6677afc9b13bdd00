r"""Files for TensorFlow's Embedding Projector and TensorBoard's projector.

The Embedding Projector (Smilkov et al. 2016, "Embedding Projector:
interactive visualization and interpretation of embeddings", NIPS workshop
on interpretable machine learning) shows vectors in 2-D/3-D by PCA, t-SNE
or UMAP, with nearest neighbours by cosine. It reads

- `vectors.tsv`: one row per point, its D values separated by tabs;
- `metadata.tsv`: one row per point; with more than one column the first
  row is a header (here `word\tfrequency`);

loaded by hand on projector.tensorflow.org ("Load"), or listed in a
`projector_config.pbtxt` (text format of TensorBoard's `ProjectorConfig`
proto: `embeddings { tensor_name tensor_path metadata_path }`, paths
relative to the config's directory) in a TensorBoard log directory, where
the projector plugin finds them.

Values are written with 9 significant digits, which read back to the same
float32 exactly. The format has no quoting, so a backslash, tab, newline or
carriage return inside a word is written as `\\`, `\t`, `\n` or `\r`
(and shown so in the projector).
"""

import re

import numpy as np

_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_HEADER = "word\tfrequency"


def _escape(word: str) -> str:
  return re.sub(r"[\\\t\n\r]", lambda m: _ESCAPES[m.group()], word)


def vectors_tsv(vectors) -> str:
  """`[V, D]` vectors as TSV text: one row per word, each ending in "\\n"."""
  vectors = np.asarray(vectors, dtype=np.float32)
  if vectors.ndim != 2:
    raise ValueError(f"vectors must be [V, D], got shape {vectors.shape}")
  if not np.all(np.isfinite(vectors)):
    raise ValueError("vectors contain NaN or infinite values")
  row = "\t".join(["%.9g"] * vectors.shape[1]) + "\n"
  return "".join(row % tuple(v) for v in vectors.tolist())


def metadata_tsv(words, counts) -> str:
  """A `word`, `frequency` header row, then each (escaped) word and count."""
  words = list(words)
  counts = np.asarray(counts).reshape(-1)
  if len(words) != len(counts):
    raise ValueError(f"{len(words)} words but {len(counts)} counts")
  rows = [_HEADER] + [f"{_escape(str(w))}\t{int(c)}"
                      for w, c in zip(words, counts)]
  return "\n".join(rows) + "\n"


def _quote(text: str) -> str:
  """A protobuf text-format string literal."""
  text = text.replace("\\", "\\\\").replace('"', '\\"')
  return '"' + text.replace("\n", "\\n").replace("\r", "\\r") + '"'


def projector_config(tensor_name: str = "word2vec",
                     vectors: str = "vectors.tsv",
                     metadata: str = "metadata.tsv") -> str:
  """`projector_config.pbtxt` naming one embedding and its two TSV files.

  Args:
    tensor_name: the name the projector lists the embedding under.
    vectors: path of the vectors TSV, relative to the config's directory.
    metadata: path of the metadata TSV, likewise.

  Returns:
    The text of the config, to write next to the files in the log directory.
  """
  return ("embeddings {\n"
          f"  tensor_name: {_quote(tensor_name)}\n"
          f"  tensor_path: {_quote(vectors)}\n"
          f"  metadata_path: {_quote(metadata)}\n"
          "}\n")
