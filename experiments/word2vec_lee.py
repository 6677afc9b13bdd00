"""word2vec skip-gram with negative sampling (Mikolov et al. 2013) on the
Lee background corpus inside the gensim wheel (300 news stories, about
58,000 tokens, 1,750 words seen at least 5 times): word2vec's defaults,
1,024 pairs a step for 20 epochs (each run of 64 pairs shares its
negatives, as in `word2vec_enwiki`). A small corpus: weak semantics, a quick
check of the whole pipeline.

  python launch.py --config=experiments/word2vec_lee.py --workdir=workdirs/word2vec_lee
"""

from unsup_jax import configs
from unsup_jax.configs import word2vec


def get_config(arg=None):
  c = word2vec.config("lee")
  c.data.batch_size = 1024
  c.skipgram.negative_group = 64
  c.train.num_steps = 4145
  c.word2vec.neighbour_words = ("government", "police", "president",
                                "australia", "fire", "people", "world",
                                "children")
  return configs.variant(c, arg)
