"""Config of word2vec (`methods/word2vec.py`): sections `text` (the corpus
and its vocabulary, `data/text.py`), `skipgram` (the pairs,
`data/skipgram.py`) and `word2vec` (the vectors and their evaluation).

Defaults are word2vec's and gensim's for skip-gram with negative sampling:
100 dimensions, window 5, 5 negatives, subsampling 1e-3, min count 5,
learning rate 0.025 decaying linearly to 0.0001 (`optim`: plain SGD,
schedule "linear", final fraction 0.004). Every step trains on
`data.batch_size` pairs; `train.num_steps` sets the budget (the report
gives it in epochs of the corpus).
"""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Float, Int, Strs
from unsup_jax.errors import UserError

TEXT = dict(
    min_count=Int(5, min=1, doc="words seen fewer times are dropped"),
    max_vocab=Int(0, min=0, doc="keep the most frequent words only; 0 = all"),
    max_sentence=Int(10_000, min=2, doc="longer sentences are split"),
)
SKIPGRAM = dict(
    window=Int(5, min=1, doc="largest reach of the dynamic window"),
    negatives=Int(5, min=1, doc="negative words per pair"),
    sample=Float(1e-3, min=0.0, max=1.0, doc="subsampling threshold t; 0 = "
                 "keep every token"),
    negative_group=Int(1, min=1, doc="pairs that share one draw of "
                       "negatives (1: every pair its own, as word2vec)"),
)
WORD2VEC = dict(
    dim=Int(100, min=1, doc="vector dimension"),
    analogy_vocab=Int(30_000, min=1, doc="analogies are answered among the "
                      "most frequent words (gensim's restrict_vocab)"),
    neighbour_words=Strs(("king", "france", "computer", "war", "music",
                          "city", "science", "good"),
                         doc="words whose nearest neighbours are reported"),
    map_words=Int(500, min=10, doc="most frequent words in the 2-D maps"),
)
SECTIONS = {"text": TEXT, "skipgram": SKIPGRAM, "word2vec": WORD2VEC}


def config(name: str = "enwiki"):
  """word2vec's defaults on corpus `name`."""
  c = base.with_sections("word2vec", SECTIONS)
  c.data.name = name
  c.data.batch_size = 4096
  c.optim.update(name="sgd", learning_rate=0.025, schedule="linear",
                 final_fraction=0.004)
  c.train.update(log_every=500, eval_every=0, checkpoint_every=2000,
                 steps_per_call=50)
  return c


def check(c) -> None:
  o = c.optim
  if o.name != "sgd" or o.weight_decay or o.grad_clip_norm or o.warmup_steps:
    raise UserError("word2vec updates the rows a step touches by plain SGD: "
                    "config.optim.name must be 'sgd', with no weight_decay, "
                    "grad_clip_norm or warmup_steps")
  if c.data.batch_size % c.skipgram.negative_group:
    raise UserError(f"config.data.batch_size ({c.data.batch_size}) must be a "
                    f"multiple of config.skipgram.negative_group "
                    f"({c.skipgram.negative_group})")
  if c.data.streams:
    raise UserError("word2vec draws the stream of skip-gram pairs only; "
                    "remove config.data.streams")


def smoke(c) -> None:
  c.data.batch_size = 256
  c.word2vec.update(dim=16, map_words=40)
  c.text.min_count = max(c.text.min_count, 5)
