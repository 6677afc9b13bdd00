"""Autoencoders vs PCA: the smoke run, the evaluation, and the ordering
(a non-linear code beats PCA on held-out data; a linear one cannot beat it on
the training data, Baldi & Hornik 1989)."""

import json
import os
import re

import jax
import numpy as np
import pytest

from tests.conftest import load_config
from unsup_jax.data import sources
from unsup_jax.errors import UserError
from unsup_jax.methods import ae_vs_pca, autoencoder, registry
from unsup_jax.training import loop


def test_smoke_run_writes_every_model_and_figure(tmp_path):
  config = load_config("ae_vs_pca")
  config.train.parallel = "jit"
  results = loop.run(config, str(tmp_path), progress=False)
  with open(tmp_path / "results.json") as f:
    written = json.load(f)
  assert written == pytest.approx(results)
  for model in ae_vs_pca.MODELS:
    value = written[f"test_mse_{model}_k2"]
    assert np.isfinite(value) and 0 < value < 1
  report = open(tmp_path / "report.md").read()
  shown = {os.path.basename(l) for l in
           re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)}
  assert {"mse_vs_size.png", "reconstructions.png"} <= shown
  for name in shown:
    assert os.path.getsize(tmp_path / "figures" / name) > 1000
  row = re.search(r"^\| PCA \| (\S+) \|$", report, re.M)
  assert row and float(row.group(1).strip("*")) == pytest.approx(
      written["test_mse_pca_k2"], abs=1e-4)


def test_bad_settings_are_user_errors():
  config = load_config("ae_vs_pca")
  config.compare.sizes = (0,)
  with pytest.raises(UserError, match="compare.sizes"):
    registry.build(config, (28, 28, 1))
  config = load_config("ae_vs_pca")
  config.compare.overrides.deep_ae.train.no_such_field = 1
  with pytest.raises(UserError, match="no_such_field"):
    registry.build(config, (28, 28, 1))
  config = load_config("ae_vs_pca")
  config.compare.models = ("pca", "kmeans")
  with pytest.raises(UserError, match="kmeans"):
    registry.build(config, (28, 28, 1))
  config = load_config("ae_vs_pca")
  config.data.binarize = "dynamic"
  with pytest.raises(UserError, match="binarize"):
    registry.build(config, (28, 28, 1))


@pytest.fixture(scope="module")
def trained():
  """PCA, linear AE (1,500 steps) and deep AE (600 steps) with 2-unit codes
  on 500 mnist5k digits."""
  config = load_config("ae_vs_pca")
  config.compare.models = ("pca", "linear_ae", "deep_ae")
  config.data.batch_size = 50
  config.compare.overrides.linear_ae.train.num_steps = 1500
  config.compare.overrides.deep_ae.train.num_steps = 600
  data = sources.load("mnist5k", num_train=500, num_test=300)
  train = np.asarray(data.train_images, np.float32)
  test = np.asarray(data.test_images, np.float32)
  method = registry.build(config, data.image_shape)
  state = method.fit(jax.random.key(0), train, data.train_labels)
  return config, method, state, train, test


def test_evaluation_matches_independent_computations(trained):
  config, method, state, train, test = trained
  got = method.evaluate(state, test, None, None)
  assert set(got) == {"mse_pca_k2", "mse_linear_ae_k2", "mse_deep_ae_k2",
                      "fit_seconds_pca", "fit_seconds_linear_ae",
                      "fit_seconds_deep_ae"}
  # PCA from numpy's SVD of the centred training pixels.
  x, y = train.reshape(len(train), -1), test.reshape(len(test), -1)
  mean = x.mean(0)
  axes = np.linalg.svd(x - mean, full_matrices=False)[2][:2]
  rec = (y - mean) @ axes.T @ axes + mean
  assert got["mse_pca_k2"] == pytest.approx(np.mean((y - rec) ** 2),
                                            rel=1e-4)
  # The deep AE's own evaluation (sigmoid of its BCE logits).
  sub = ae_vs_pca.model_config(config, "deep_ae", 2)
  own = autoencoder.build(sub, (28, 28, 1)).evaluate(
      state["deep_ae"]["k2"], test, None, None, full=False)
  assert got["mse_deep_ae_k2"] == pytest.approx(own["mse"], rel=1e-5)


def test_nonlinear_code_beats_pca_and_linear_code_does_not(trained):
  _, method, state, train, test = trained
  held_out = method.evaluate(state, test, None, None)
  on_train = method.evaluate(state, train, None, None)
  assert held_out["mse_deep_ae_k2"] < held_out["mse_pca_k2"]
  # PCA minimises the training error among rank-2 affine maps; the linear
  # AE gets close to it but not below.
  assert on_train["mse_linear_ae_k2"] >= on_train["mse_pca_k2"] * (1 - 1e-3)
  assert on_train["mse_linear_ae_k2"] < on_train["mse_pca_k2"] * 1.1
