"""Tests for `unsup_jax.methods.aae_study` (its smoke run is in
tests/test_experiments.py)."""

import jax
import numpy as np
import pytest

from tests.helpers import image_spec, load_config
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.methods import aae_study, registry


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
  """The study's sampler of a VAE sub-run gives the decoder's Bernoulli
  means: in (0, 1), one image per code, different codes different images."""
  config = load_config("denoising_aae_study")
  sub = aae_study._sub_config(config, "vae")
  method = registry.build(sub, image_spec((28, 28, 1)))
  batch = {"image": np.zeros((2, 28, 28, 1), np.float32),
           "label": np.zeros(2, np.int32)}
  state = method.init(jax.random.key(0), batch)
  dim, sample = aae_study.prior_sampler(sub, (28, 28, 1))
  z = np.random.default_rng(0).normal(size=(3, dim)).astype(np.float32)
  images = np.asarray(sample(state.params, z))
  assert images.shape == (3, 28, 28, 1)
  assert np.all((images > 0) & (images < 1))
  assert not np.allclose(images[0], images[1])
