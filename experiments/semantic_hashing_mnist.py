"""Semantic hashing (Salakhutdinov & Hinton 2009) on mnist5k, gray pixels.

An MLP autoencoder 784-512-32-512-784 trained with BCE through a code layer
made binary by Gaussian noise (std 4) on its logits; the 1,000 test digits
then query the 4,000 training digits by Hamming distance, against PCA and LSH
codes of the same length. `--config.hashing.bits=16` (or 64) changes the code
length, `--config.hashing.code_mode=straight_through` the binarisation.
"""

import ml_collections

from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = base_config()
  c.method = "semantic_hashing"
  c.data.binarize = "none"
  c.model.likelihood = "bce"
  c.hashing = ml_collections.ConfigDict(dict(
      bits=32, code_mode="noisy_sigmoid", noise_std=4.0, k=100))
  c.train.num_steps = 2000
  c.train.eval_every = 500
  return apply_variant(c, arg)
