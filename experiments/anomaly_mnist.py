"""Anomaly detection on mnist5k with one digit held out: AE vs VAE.

For each digit d, the MLP autoencoder of ae_mnist.py and the Bernoulli MLP
VAE of vae_mnist.py are trained for 1,500 steps on the training images of
the other nine digits, each as a sub-run of this study (in
`WORKDIR/runs/`, checkpointed and resumed like any run); test images are
scored by reconstruction loss (AE) and negative ELBO (VAE), and the test
images of d are the anomalies (AUROC). 20 models; about 3 minutes on 2 CPU
cores.

  python launch.py --config=experiments/anomaly_mnist.py \\
      --workdir=workdirs/anomaly_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import anomaly


def get_config(arg=None):
  c = anomaly.config()
  c.data.binarize = "none"   # each detector transforms the data as its own
  c.anomaly.update(held_out=tuple(range(10)), models=("autoencoder", "vae"),
                   ae_config="experiments/ae_mnist.py",
                   vae_config="experiments/vae_mnist.py", num_steps=1500,
                   elbo_samples=10)
  return configs.variant(c, arg)
