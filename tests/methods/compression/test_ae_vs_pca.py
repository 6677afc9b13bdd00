"""Autoencoders vs PCA: the smoke run, the evaluation, and the ordering
(a non-linear code beats PCA on held-out data; a linear one cannot beat it on
the training data, Baldi & Hornik 1989)."""

import jax
import numpy as np
import pytest

from tests.helpers import build, load_config, load_state, run
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.methods.compression import ae_vs_pca


def test_bad_settings_are_user_errors():
  config = load_config("ae_vs_pca")
  config.compare.sizes = (0,)
  with pytest.raises(UserError, match="compare.sizes"):
    configs.validate(config)
  config = load_config("ae_vs_pca")
  config.compare.overrides.conv_ae.train.no_such_field = 1
  with pytest.raises(UserError, match="no_such_field"):
    build(config)
  config = load_config("ae_vs_pca")
  config.compare.models = ("pca", "kmeans")
  with pytest.raises(UserError, match="kmeans"):
    configs.validate(config)
  config = load_config("ae_vs_pca")
  config.data.binarize = "dynamic"
  with pytest.raises(UserError, match="binarize"):
    configs.validate(config)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  """PCA, linear AE (1,500 steps) and deep AE (600 steps) with 2-unit codes
  on 500 mnist5k digits, trained as the study's sub-runs."""
  config = load_config("ae_vs_pca")
  config.compare.models = ("pca", "linear_ae", "deep_ae")
  config.train.parallel = "jit"
  config.data.update(batch_size=50, num_train=500, num_test=300)
  config.compare.num_steps = 600
  config.compare.overrides.linear_ae = dict(train=dict(num_steps=1500))
  workdir = str(tmp_path_factory.mktemp("ae_vs_pca"))
  run(config, workdir)
  study, data = build(config)
  return config, study, load_state(config, workdir), data


def test_evaluation_matches_independent_computations(trained):
  config, study, states, data = trained
  assert set(states) == {"pca", "linear_ae_k2", "deep_ae_k2"}
  got, _ = study.evaluate(states, data.view, None, full=True, runs={})
  assert set(got) == {"mse_pca_k2", "mse_linear_ae_k2", "mse_deep_ae_k2"}
  # PCA from numpy's SVD of the centred training pixels.
  train = data.view.split("train")["image"]
  test = data.view.split("test")["image"]
  x, y = train.reshape(len(train), -1), test.reshape(len(test), -1)
  mean = x.mean(0)
  axes = np.linalg.svd(x - mean, full_matrices=False)[2][:2]
  rec = (y - mean) @ axes.T @ axes + mean
  assert got["mse_pca_k2"] == pytest.approx(np.mean((y - rec) ** 2),
                                            rel=1e-4)
  # The deep AE's own evaluation (sigmoid of its BCE logits).
  sub = ae_vs_pca.model_config(config, "deep_ae", 2)
  method, sub_data = build(sub)
  own, _ = method.evaluate(states["deep_ae_k2"], sub_data.view,
                           jax.random.key(0), full=False)
  assert got["mse_deep_ae_k2"] == pytest.approx(own["mse"], rel=1e-5)
  assert sub.train.num_steps == 600 and sub.autoencoder.latent_dim == 2
  assert ae_vs_pca.model_config(config, "linear_ae", 2).train.num_steps == 1500


def test_nonlinear_code_beats_pca_and_linear_code_does_not(trained):
  _, study, states, data = trained
  held_out, _ = study.evaluate(states, data.view, None, full=True,
                               runs={})
  train_as_test = data.view.replace_split("test", data.view.split("train"))
  on_train, _ = study.evaluate(states, train_as_test, None, full=True,
                               runs={})
  assert held_out["mse_deep_ae_k2"] < held_out["mse_pca_k2"]
  # PCA minimises the training error among rank-2 affine maps; the linear
  # AE gets close to it but not below.
  assert on_train["mse_linear_ae_k2"] >= on_train["mse_pca_k2"] * (1 - 1e-3)
  assert on_train["mse_linear_ae_k2"] < on_train["mse_pca_k2"] * 1.1
