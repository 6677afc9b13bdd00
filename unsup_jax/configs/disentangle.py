"""The shared set-up of the disentanglement experiments: a convolutional VAE
for the factor datasets (`data/factors.py`), as in disentanglement_lib's
study (Locatello et al. 2019): 4 stride-2 convolutions (32, 32, 64, 64), 10
Gaussian units, Bernoulli pixels, Adam 5e-4 (its 1e-4 is for 300,000
steps), batch 64.

The test NLL's importance-weighted bound uses 50 samples, not 1,000: on
64x64 images the larger bound would cost more than training.
"""

from unsup_jax.configs import vae


def vae_config(*, beta: float = 1.0, objective: str = "elbo",
               dataset: str = "dsprites_procedural", base=None):
  """The set-up on a config from `base()` (default `configs.vae.config`;
  any config with the `vae` section, e.g. FactorVAE's)."""
  c = (base or vae.config)()
  c.data.update(name=dataset, binarize="none", batch_size=64,
                num_train=10_000, num_test=1_000)
  c.vae.update(kind="conv", encoder_hidden=(32, 32, 64, 64),
               decoder_hidden=(64, 64, 32, 32), latent_dim=10,
               likelihood="bernoulli", beta=beta, objective=objective,
               iwae_samples=50, quick_iwae_samples=10, iwae_chunk=10,
               probe_labels=(), disentangle_scale=0.1)
  c.optim.learning_rate = 5e-4
  c.eval.batch_size = 128  # a beta-VAE score point encodes 2 x 64 images
  c.train.update(num_steps=3000, eval_every=0, checkpoint_every=1000)
  return c
