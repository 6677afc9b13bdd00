"""The language-model baseline of `sentence_vae_enwiki`: its decoder
without z, an LSTM language model trained as Bowman et al.'s baseline is,
without word dropout, on the same sentences with the same optimiser and
number of steps. Its exact test NLL is what the sentence VAE's bound is
compared with (Bowman et al. 2016, Table 2); `--config.svae.word_dropout=0.3`
trains it with the VAE's word dropout.

  python launch.py --config=experiments/lstm_lm_enwiki.py --workdir=workdirs/lstm_lm_enwiki
"""

from unsup_jax import configs
from unsup_jax.configs import sentence_vae


def get_config(arg=None):
  c = sentence_vae.config("lm")
  c.svae.word_dropout = 0.0
  return configs.variant(c, arg)
