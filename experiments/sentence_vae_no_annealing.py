"""The sentence VAE of `sentence_vae_enwiki` without its remedies for
posterior collapse: the KL at full weight from the first step and no word
dropout, as Bowman et al.'s plain model. The decoder learns to ignore z:
the KL and the mutual information I(x; z) fall to about zero and decoding
gives nearly the same sentence for every z.

  python launch.py --config=experiments/sentence_vae_no_annealing.py --workdir=workdirs/sentence_vae_no_annealing
"""

from unsup_jax import configs
from unsup_jax.configs import sentence_vae


def get_config(arg=None):
  c = sentence_vae.config("vae")
  c.svae.update(kl_steps=0, word_dropout=0.0)
  return configs.variant(c, arg)
