"""Config of VaDE (`methods/clustering/vade.py`): the sections of
`configs/dec.py`.

`autoencoder` holds the network (its encoder gets a log-variance head; its
likelihood "bce" is a Bernoulli decoder, "mse" a Gaussian one with a learned
variance) and phase "train", the pre-training of the encoder's mean and the
decoder as an autoencoder; `cluster` holds the mixture (`num_clusters`
components, started from a diagonal GMM fitted by EM to the pre-trained
codes after `kmeans_restarts` k-means starts) and phase "cluster" of the
ELBO. Defaults follow Jiang et al. (2017) on MNIST: 784-500-500-2000-10,
Adam at 0.002 multiplied by 0.9 every 10 epochs (160 steps of mnist5k at
batch 256), no stop rule (`tol = 0`); and, as DEC's (`configs/dec.py`),
randomly shifted and warped images in both phases. `update_interval` is
how often the training-set scores are recorded.

Measured on mnist5k (seed 0, `experiments/vade_mnist.py`): the GMM start
clusters the training images at 0.805 ACC and the ELBO phase lowers it at
every refresh, to 0.695 after 2,000 steps, while the mixture weights drift
from uniform to 0.05-0.22 (the assignments' sizes stay within 0.05-0.17).

"""

from unsup_jax.configs import dec

SECTIONS = dec.SECTIONS


def config():
  """VaDE at the paper's MNIST settings."""
  c = dec.config("dec")
  c.method = "vade"
  c.autoencoder.likelihood = "bce"
  c.cluster.update(kind="vade", optimizer="adam", learning_rate=0.002,
                   lr_decay=0.9, lr_decay_steps=160, tol=0.0)
  return c


check = dec.check
smoke = dec.smoke
