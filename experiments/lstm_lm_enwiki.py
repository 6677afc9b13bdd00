"""The language-model baseline of `sentence_vae_enwiki`: its decoder
without z (an LSTM language model), the same data, word dropout, optimiser
and number of steps. Its exact test NLL is what the sentence VAE's bound
is compared with (Bowman et al. 2016, Table 2).

  python launch.py --config=experiments/lstm_lm_enwiki.py --workdir=workdirs/lstm_lm_enwiki
"""

from unsup_jax import configs
from unsup_jax.configs import sentence_vae


def get_config(arg=None):
  return configs.variant(sentence_vae.config("lm"), arg)
