"""The PCA method: evaluation against sklearn, config checks, the smoke run."""

import json
import os
import re

import numpy as np
import pytest
from sklearn.decomposition import PCA

from tests.conftest import load_config
from unsup_jax.errors import UserError
from unsup_jax.methods import pca as pca_method
from unsup_jax.methods import registry
from unsup_jax.training import loop

IMAGE_SHAPE = (28, 28, 1)


@pytest.fixture(scope="module")
def smoke_data():
  """The smoke variant's config and its (256 / 64 example) mnist5k split."""
  config = load_config("pca_mnist")
  dataset, test_images = loop.load_data(config)
  return config, dataset, test_images


def _flat(images):
  return np.asarray(images, np.float64).reshape(len(images), -1)


def test_evaluate_matches_sklearn(smoke_data):
  config, dataset, test_images = smoke_data
  method = registry.build(config, dataset.image_shape)
  state = method.fit(None, dataset.train_images, dataset.train_labels)
  out = method.evaluate(state, test_images, dataset.test_labels, None,
                        full=True)
  train, test = _flat(dataset.train_images), _flat(test_images)
  for k in config.pca.eval_components:
    ref = PCA(k, svd_solver="full").fit(train)
    mse = np.mean((test - ref.inverse_transform(ref.transform(test))) ** 2)
    np.testing.assert_allclose(out[f"mse_k{k}"], mse, rtol=1e-4)
    np.testing.assert_allclose(out[f"evr_k{k}"],
                               ref.explained_variance_ratio_.sum(), rtol=1e-4)
  ks = sorted(config.pca.eval_components)
  assert all(out[f"mse_k{a}"] > out[f"mse_k{b}"] for a, b in zip(ks, ks[1:]))
  assert out["mse"] == out[f"mse_k{config.pca.num_components}"]
  assert 0 < out["heldout_evr"] < 1
  # The held-out curve from cumulative code energies equals the direct
  # reconstruction error.
  curve = np.asarray(pca_method.heldout_mse_curve(
      state, test.astype(np.float32)))
  for k in ks:
    np.testing.assert_allclose(curve[k - 1], out[f"mse_k{k}"], rtol=1e-3)


def test_streaming_method_equals_batch(smoke_data):
  config, dataset, test_images = smoke_data
  config = config.copy_and_resolve_references()
  config.pca.streaming = True
  config.pca.batch_size = 100  # 256 = 100 + 100 + 56: uneven last batch.
  streamed_method = registry.build(config, dataset.image_shape)
  streamed = streamed_method.fit(None, dataset.train_images, None)
  batch = pca_method.fit_images(dataset.train_images, 64)
  np.testing.assert_allclose(streamed.explained_variance,
                             batch.explained_variance, rtol=1e-3, atol=1e-5)
  a = streamed_method.evaluate(streamed, test_images, None, None, full=True)
  config.pca.streaming = False
  b = registry.build(config, dataset.image_shape).evaluate(
      batch, test_images, None, None, full=True)
  for k in config.pca.eval_components:
    np.testing.assert_allclose(a[f"mse_k{k}"], b[f"mse_k{k}"], rtol=1e-3)


@pytest.mark.parametrize("field, value", [
    ("num_components", 0), ("num_components", 785),
    ("eval_components", (2, 65)), ("batch_size", 0)])
def test_bad_config_is_a_user_error(field, value):
  config = load_config("pca_mnist")
  config.pca[field] = value
  with pytest.raises(UserError, match=f"config.pca.{field}"):
    registry.build(config, IMAGE_SHAPE)


def test_more_components_than_examples_is_a_user_error():
  config = load_config("pca_mnist")
  method = registry.build(config, IMAGE_SHAPE)
  with pytest.raises(UserError, match="num_components"):
    method.fit(None, np.zeros((10,) + IMAGE_SHAPE, np.float32), None)


def test_fingerprint_is_json():
  method = registry.build(load_config("pca_mnist", None), IMAGE_SHAPE)
  assert json.loads(json.dumps(method.fingerprint)) == method.fingerprint
  assert method.train_step is None and method.init is None


def test_smoke_experiment_writes_report(tmp_path):
  config = load_config("pca_mnist")
  config.train.parallel = "jit"
  workdir = str(tmp_path)
  results = loop.run(config, workdir, progress=False)
  with open(os.path.join(workdir, "results.json")) as f:
    written = json.load(f)
  for k in (2, 10, 32):
    assert 0 < written[f"test_mse_k{k}"] < 0.1
    assert 0 < written[f"test_evr_k{k}"] < 1
    assert results[f"test_mse_k{k}"] == pytest.approx(written[f"test_mse_k{k}"])
  report = open(os.path.join(workdir, "report.md")).read()
  links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
  assert {os.path.splitext(os.path.basename(l))[0] for l in links} == {
      "components", "explained_variance", "reconstructions", "latent_space"}
  for link in links:
    assert os.path.getsize(os.path.join(workdir, link)) > 1000
  assert "| 10 | " in report and "test_mse_k32" in report
