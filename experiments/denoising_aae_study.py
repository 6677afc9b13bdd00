"""The denoising adversarial autoencoder (`denoising_aae_mnist`) beside the
plain denoising autoencoder with the same networks and noise
(`denoising_ae_mnist`) and beside the VAE (`vae_mnist`), on mnist5k.

Trains the three as resumable sub-runs (`WORKDIR/runs/aae`, `runs/dae`,
`runs/vae`), then reports the two denoisers' test MSE and the FID/KID of
1,000 decoded prior samples of the AAE and of the VAE (in the digit
classifier's features, against the gray test images), with the samples
side by side and their nearest training images.

  python launch.py --config=experiments/denoising_aae_study.py \\
      --workdir=workdirs/denoising_aae_study
"""

from unsup_jax import configs
from unsup_jax.configs import aae_study


def get_config(arg=None):
  c = aae_study.config()
  c.data.binarize = "none"
  c.aae_study.update(aae_experiment="denoising_aae_mnist",
                     dae_experiment="denoising_ae_mnist",
                     vae_experiment="vae_mnist", num_samples=1000)
  if arg == "smoke":
    c.aae_study.update(model_variant="smoke", num_steps=4, num_samples=100)
  return configs.variant(c, arg)
