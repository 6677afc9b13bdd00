"""Where text comes from: the corpora inside the gensim wheel, a plain-text
file, or a tensorflow-datasets text set, each read as tokenised sentences.

Offline corpora that ship with gensim (Rehurek & Sojka 2010) in
`gensim/test/test_data`:

* `lee`: `lee_background.cor`, 300 news stories from the Lee, Pincombe &
  Welsh (2005) document-similarity corpus, one per line (about 58,000
  tokens);
* `head500`: `head500.noblanks.cor`, the first lines of a Wikipedia text
  dump, one article per line (250 articles, about 335,000 tokens);
* `enwiki`: `enwiki-latest-pages-articles1.xml-p000000010p000030302-
  shortened.bz2`, a shortened English Wikipedia XML dump: the article pages
  (namespace 0) of at least 50 tokens once the markup is stripped by
  gensim's `filter_wiki`, as gensim's `WikiCorpus` keeps them (106
  articles, about 453,000 tokens).

`text:PATH` reads any UTF-8 text file, one sentence per non-blank line.
`tfds:NAME` reads the "train" split's `text` feature of a TFDS text set
(`tfds:lm1b`, `tfds:imdb_reviews`, ...), each example a sentence.
"""

import bz2
import json
import os

from unsup_jax.data import sources, text
from unsup_jax.errors import UserError

GENSIM_CORPORA = {
    "lee": "lee_background.cor",
    "head500": "head500.noblanks.cor",
    "enwiki": ("enwiki-latest-pages-articles1.xml-p000000010p000030302-"
               "shortened.bz2"),
}
TEXT_PREFIX = "text:"
# Wikipedia articles shorter than this are skipped (gensim's WikiCorpus
# default `article_min_tokens`).
ARTICLE_MIN_TOKENS = 50


def gensim_file(filename: str) -> str:
  """The path of a file of gensim's test data (corpora, evaluation sets)."""
  try:
    from gensim.test.utils import datapath  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise UserError(f"the gensim package is needed for {filename} (it ships "
                    f"gensim's test data); pip install gensim ({e})") from e
  path = datapath(filename)
  if not os.path.exists(path):
    raise UserError(f"{filename} is not in this gensim installation "
                    f"({path})")
  return path


def _wiki_documents(path: str) -> list[str]:
  from gensim.corpora import wikicorpus  # pylint: disable=g-import-not-at-top
  out = []
  with bz2.BZ2File(path) as f:
    for _, content, _ in wikicorpus.extract_pages(f, filter_namespaces=("0",)):
      plain = wikicorpus.filter_wiki(content)
      if len(text.tokenize(plain)) >= ARTICLE_MIN_TOKENS:
        out.append(plain)
  return out


def _file_documents(path: str) -> list[str]:
  try:
    with open(path, encoding="utf-8", errors="replace") as f:
      return [line for line in f if line.strip()]
  except OSError as e:
    raise UserError(f"cannot read text file {path}: {e.strerror or e}") from e


def _tfds_documents(name: str, data_dir: str | None) -> list[str]:
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  builder, _ = sources.prepared_builder(name, data_dir)
  if "text" not in builder.info.features:
    raise UserError(f"dataset '{name}' has no 'text' feature; text methods "
                    "read tfds text sets such as tfds:lm1b or "
                    "tfds:imdb_reviews")
  out = []
  for example in tfds.as_numpy(builder.as_dataset(split="train")):
    raw = example["text"]
    out.append(raw.decode("utf-8", "replace") if isinstance(raw, bytes)
               else str(raw))
  return out


def cache_key(name: str, settings: dict) -> str | None:
  """The in-process cache key of a corpus: its settings, and for a text
  file its size and modification time (an edited file is read again);
  None for a TFDS set (not cached: a mocked set must not stand in for the
  real one)."""
  if name.startswith("tfds:"):
    return None
  extra = {}
  if name.startswith(TEXT_PREFIX):
    path = os.path.expanduser(name[len(TEXT_PREFIX):])
    if os.path.exists(path):
      st = os.stat(path)
      extra = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
  return json.dumps(dict(settings, **extra), sort_keys=True)


def read_documents(name: str, data_dir: str | None = None) -> list[str]:
  """The raw texts of text source `name`: Wikipedia articles as plain text,
  a file's non-blank lines, a TFDS set's `text` examples.

  Raises:
    UserError: an unknown name, a missing file, a TFDS set that is not
      prepared (without a network) or has no text.
  """
  if name in GENSIM_CORPORA:
    path = gensim_file(GENSIM_CORPORA[name])
    return (_wiki_documents(path) if name == "enwiki"
            else _file_documents(path))
  if name.startswith(TEXT_PREFIX) and len(name) > len(TEXT_PREFIX):
    path = os.path.expanduser(name[len(TEXT_PREFIX):])
    if not os.path.isfile(path):
      raise UserError(f"text file not found: {path}")
    return _file_documents(path)
  if name.startswith("tfds:") and len(name) > len("tfds:"):
    return _tfds_documents(name, data_dir)
  raise UserError(f"unknown text source {name!r}; choose "
                  f"{', '.join(GENSIM_CORPORA)}, text:PATH or tfds:NAME")


def read_sentences(name: str, data_dir: str | None = None
                   ) -> list[list[str]]:
  """The tokenised "sentences" of text source `name` as word2vec reads
  them: each document (article, line, example) one token list, empty ones
  dropped. Errors: as `read_documents`."""
  return [t for t in map(text.tokenize, read_documents(name, data_dir)) if t]
