"""Tests for `unsup_jax.methods.aae_study` (its smoke run is in
tests/test_experiments.py)."""

import jax
import numpy as np
import pytest

from tests.helpers import image_spec, load_config
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.methods import registry
from unsup_jax.methods.adversarial import aae_study
from unsup_jax.models import vae as vae_models
from unsup_jax.models.vae import VAE


def test_a_sub_run_of_the_wrong_method_is_a_user_error():
  config = load_config("denoising_aae_study")
  config.aae_study.vae_experiment = "denoising_ae_mnist"
  with pytest.raises(UserError, match="aae_study.vae_experiment.*not .vae."):
    registry.build(config, image_spec((28, 28, 1)))


def test_gray_pixels_are_required():
  config = load_config("denoising_aae_study")
  config.data.binarize = "dynamic"
  with pytest.raises(UserError, match="binarize"):
    configs.validate(config)


def test_the_vae_sampler_decodes_the_vae_mean_image():
  """The study's samples of a VAE sub-run are the decoder's Bernoulli
  means (the sigmoid of its logits) of the fixed prior codes."""
  config = load_config("denoising_aae_study")
  sub = aae_study._sub_config(config, "vae")
  method = registry.build(sub, image_spec((28, 28, 1)))
  batch = {"image": np.zeros((2, 28, 28, 1), np.float32),
           "label": np.zeros(2, np.int32)}
  state = method.init(jax.random.key(0), batch)
  images = np.asarray(aae_study.prior_samples(sub, state.params, 3,
                                              (28, 28, 1)))
  model = vae_models.from_config(sub.vae, (28, 28, 1))
  z = jax.random.normal(jax.random.key(aae_study.SAMPLE_SEED),
                        (3, sub.vae.latent_dim))
  logits = model.apply({"params": state.params}, z, method=VAE.decode)
  np.testing.assert_allclose(images, 1 / (1 + np.exp(-np.asarray(logits))),
                             rtol=1e-5, atol=1e-6)
  assert images.shape == (3, 28, 28, 1)
  assert not np.allclose(images[0], images[1])
