"""Sparse autoencoder on mnist5k: one layer of 64 sigmoid units, KL sparsity.

Ng (2011), "Sparse autoencoder", CS294A notes: 784-64-784 with sigmoid hidden
units whose average activation is pulled to rho = 0.05 by
sum_j KL(rho || rho_hat_j). The reconstruction term is BCE summed over the 784
gray pixels (about 100 nats), so the weight is 30 rather than Ng's 3 (for a
mean squared error): after 3,000 steps the mean test activation is 0.17, 0.10
and 0.07 with weights 3, 10 and 30, at a test MSE of 0.019, 0.024 and 0.029
per pixel. The "weights" figure shows the 64 encoder filters.

  python launch.py --config=experiments/sparse_ae_mnist.py \\
      --workdir=workdirs/sparse_ae_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import autoencoder


def get_config(arg=None):
  c = autoencoder.config()
  c.data.binarize = "none"
  a = c.autoencoder
  a.likelihood = "bce"
  a.encoder_hidden = ()
  a.decoder_hidden = ()
  a.latent_dim = 64
  a.code_activation = "sigmoid"
  a.sparsity = "kl"
  a.sparsity_weight = 30.0
  a.sparsity_target = 0.05
  c.train.num_steps = 3000
  return configs.variant(c, arg)
