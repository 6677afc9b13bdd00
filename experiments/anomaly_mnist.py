"""Anomaly detection on mnist5k with one digit held out: AE vs VAE.

For each digit d, the MLP autoencoder of ae_mnist.py and the Bernoulli MLP
VAE of vae_mnist.py are trained for 1,500 steps on the training images of
the other nine digits; test images are scored by reconstruction loss (AE)
and negative ELBO (VAE), and the test images of d are the anomalies
(AUROC). 20 models; about 3 minutes on 2 CPU cores.

  python launch.py --config=experiments/anomaly_mnist.py \
      --workdir=workdirs/anomaly_mnist
"""

import ml_collections

from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = base_config()
  c.method = "anomaly"
  # The test images reach the method gray-scale; the VAE's scorer binarises
  # them itself as its own training loop would.
  c.data.binarize = "none"
  c.anomaly = ml_collections.ConfigDict(dict(
      held_out=tuple(range(10)),
      models=("autoencoder", "vae"),
      ae_config="experiments/ae_mnist.py",
      vae_config="experiments/vae_mnist.py",
      model_variant="",          # "smoke": the model files' smoke variants
      num_steps=1500,            # training steps of each of the models
      elbo_samples=10,           # draws of z per negative-ELBO score
  ))
  c.train.num_steps = c.anomaly.num_steps   # not read: models use the above
  if arg == "smoke":
    c.anomaly.held_out = (0, 1)
    c.anomaly.model_variant = "smoke"
    c.anomaly.num_steps = 4
    c.anomaly.elbo_samples = 2
  return apply_variant(c, arg)
