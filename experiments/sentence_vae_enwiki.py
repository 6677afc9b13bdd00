"""The sentence VAE (Bowman et al. 2016) on the sentences of the English
Wikipedia snippet inside the gensim wheel (3 to 30 words, about 19,000
training sentences, a vocabulary of the words seen 5 times): the KL weight
rising on Bowman's logistic curve over the first 2,000 of 4,500 steps
(about 7.5 epochs), word dropout 0.3, z of 16 dimensions fed to the
decoder at every step. Compare with
`sentence_vae_no_annealing` (collapse) and `lstm_lm_enwiki` (the decoder
alone).

  python launch.py --config=experiments/sentence_vae_enwiki.py --workdir=workdirs/sentence_vae_enwiki
"""

from unsup_jax import configs
from unsup_jax.configs import sentence_vae


def get_config(arg=None):
  return configs.variant(sentence_vae.config("vae"), arg)
