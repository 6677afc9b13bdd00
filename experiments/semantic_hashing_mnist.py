"""Semantic hashing (Salakhutdinov & Hinton 2009) on mnist5k, gray pixels.

An MLP autoencoder 784-512-32-512-784 trained with BCE through a code layer
made binary by Gaussian noise (std 4) on its logits; the 1,000 test digits
then query the 4,000 training digits by Hamming distance, against PCA and LSH
codes of the same length. `--config.hashing.bits=16` (or 64) changes the code
length, `--config.hashing.code_mode=straight_through` the binarisation.

  python launch.py --config=experiments/semantic_hashing_mnist.py \\
      --workdir=workdirs/hashing_32
"""

from unsup_jax import configs
from unsup_jax.configs import semantic_hashing


def get_config(arg=None):
  c = semantic_hashing.config()
  c.data.binarize = "none"
  c.hashing.update(bits=32, code_mode="noisy_sigmoid", noise_std=4.0, k=100)
  c.train.num_steps = 2000
  c.train.eval_every = 500
  return configs.variant(c, arg)
