"""Autoencoders vs PCA on mnist5k at code sizes 2, 10 and 32 (gray pixels).

Hinton & Salakhutdinov (2006), Science 313: non-linear codes reconstruct
held-out digits better than linear projections of the same size. Trains the
tied linear AE (linear_ae_mnist), the deep MLP AE 784-512-k-512-784
(ae_mnist) and a conv AE (conv_ae_mnist, 16-32 channels here for speed) at
each k, each as a sub-run (`WORKDIR/runs/`, resumable), and compares their
test MSE per pixel with k-component PCA (itself a sub-run with one
whole-data phase). `train.num_steps` is not read: `compare.num_steps`
(every autoencoder) and `compare.overrides.MODEL` (any field of that
model's config) set the budget.

Measured (seed 0, 4,000 / 1,000 split; test MSE per pixel):

| model | k = 2 | k = 10 | k = 32 |
| --- | ---: | ---: | ---: |
| PCA | 0.0574 | 0.0357 | 0.0177 |
| linear AE, 3,000 steps | 0.0577 | 0.0358 | 0.0179 |
| deep MLP AE, 3,000 steps | 0.0482 | 0.0204 | 0.0092 |
| conv AE 16-32, 600 steps | 0.0550 | 0.0231 | 0.0102 |

  python launch.py --config=experiments/ae_vs_pca.py --workdir=workdirs/ae_vs_pca
"""

import ml_collections

from unsup_jax import configs
from unsup_jax.configs import ae_vs_pca


def get_config(arg=None):
  c = ae_vs_pca.config()
  c.data.binarize = "none"
  c.compare.sizes = (2, 10, 32)
  c.compare.models = ("pca", "linear_ae", "deep_ae", "conv_ae")
  c.compare.num_steps = 3000          # per autoencoder and size
  c.compare.overrides = ml_collections.ConfigDict(dict(
      conv_ae=dict(train=dict(num_steps=600),
                   autoencoder=dict(encoder_hidden=(16, 32),
                                    decoder_hidden=(32, 16)))))
  if arg == "smoke":
    c.compare.sizes = (2,)
    c.compare.num_steps = 4
    c.compare.overrides.conv_ae.train.num_steps = 4
  return configs.variant(c, arg)
