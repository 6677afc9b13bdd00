"""Tied linear autoencoder on mnist5k: 10 units, squared error, gray pixels.

Baldi & Hornik (1989): z = (x - mu) W, x_hat = z W^T + mu; the squared-error
optimum spans the top-10 principal subspace of the training images, so
`test_mse` approaches that of 10-component PCA fitted on them (0.0357 per
pixel on the mnist5k test split). The "weights" figure shows the columns of W.

  python launch.py --config=experiments/linear_ae_mnist.py \\
      --workdir=workdirs/linear_ae_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import autoencoder


def get_config(arg=None):
  c = autoencoder.config()
  c.data.binarize = "none"
  c.autoencoder.kind = "linear_tied"
  c.autoencoder.latent_dim = 10
  c.autoencoder.likelihood = "mse"
  c.train.num_steps = 3000
  return configs.variant(c, arg)
