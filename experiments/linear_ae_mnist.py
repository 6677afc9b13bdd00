"""Tied linear autoencoder on mnist5k: 10 units, squared error, gray pixels.

Baldi & Hornik (1989): z = (x - mu) W, x_hat = z W^T + mu; the squared-error
optimum spans the top-10 principal subspace of the training images, so
`test_mse` approaches that of 10-component PCA fitted on them (0.0357 per
pixel on the mnist5k test split). The "weights" figure shows the columns of W.
"""

from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = base_config()
  c.method = "autoencoder"
  c.data.binarize = "none"
  c.model.kind = "linear_tied"
  c.model.latent_dim = 10
  c.model.likelihood = "mse"
  c.train.num_steps = 3000
  return apply_variant(c, arg)
