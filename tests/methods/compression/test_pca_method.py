"""The PCA method: evaluation against sklearn, the fit as a whole-data phase
that runs once (also when the run is started again), config checks."""

import json

import jax
import numpy as np
import pytest
from sklearn.decomposition import PCA

from tests.helpers import build, load_config, load_state, run
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.methods.compression import pca as pca_method
from unsup_jax.training.contract import Hook


@pytest.fixture(scope="module")
def smoke():
  """The smoke variant's config, method and (256 / 64 example) data."""
  config = load_config("pca_mnist")
  method, data = build(config)
  return config, method, data


def _flat(images):
  return np.asarray(images, np.float64).reshape(len(images), -1)


def _fitted(method, data):
  (hook,) = method.phases
  assert isinstance(hook, Hook) and hook.name == "fit"
  state = method.init(jax.random.key(0), data.iterator("train").batch_at(0))
  return hook.fn(state, data.view, jax.random.key(1))


def test_evaluate_matches_sklearn(smoke):
  config, method, data = smoke
  state = _fitted(method, data)
  out, _ = method.evaluate(state, data.view, None, full=True)
  train = _flat(data.view.split("train")["image"])
  test = _flat(data.view.split("test")["image"])
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
      state.params, test.astype(np.float32)))
  for k in ks:
    np.testing.assert_allclose(curve[k - 1], out[f"mse_k{k}"], rtol=1e-3)


def test_streaming_method_equals_batch(smoke):
  config, _, data = smoke
  config = config.copy_and_resolve_references()
  config.pca.streaming = True
  config.pca.batch_size = 100  # 256 = 100 + 100 + 56: uneven last batch.
  streamed_method, _ = build(config)
  streamed = _fitted(streamed_method, data)
  batch = pca_method.fit_images(data.view.split("train")["image"], 64)
  np.testing.assert_allclose(streamed.params.explained_variance,
                             batch.explained_variance, rtol=1e-3, atol=1e-5)


def test_the_fit_runs_once_and_is_checkpointed(tmp_path, monkeypatch):
  config = load_config("pca_mnist")
  calls = []
  real = pca_method.fit_images
  monkeypatch.setattr(pca_method, "fit_images",
                      lambda *a, **k: calls.append(1) or real(*a, **k))
  first = run(config, str(tmp_path))
  second = run(config, str(tmp_path))
  assert len(calls) == 1
  assert first == pytest.approx(dict(second, train_seconds_this_run=first[
      "train_seconds_this_run"]))
  state = load_state(config, str(tmp_path))
  assert float(np.abs(state.params.components).sum()) > 0


@pytest.mark.parametrize("field, value", [
    ("num_components", 0), ("eval_components", (2, 65)), ("batch_size", 0)])
def test_bad_config_is_a_user_error(field, value):
  config = load_config("pca_mnist")
  config.pca[field] = value
  with pytest.raises(UserError, match=f"config.pca.{field}"):
    configs.validate(config)


def test_more_components_than_pixels_or_examples_is_a_user_error(smoke):
  config = load_config("pca_mnist")
  config.pca.num_components = 785
  with pytest.raises(UserError, match="num_components"):
    build(config)
  _, method, _ = smoke
  with pytest.raises(UserError, match="num_components"):
    pca_method.fit_images(np.zeros((10, 28, 28, 1), np.float32), 64)
  assert json.loads(json.dumps(method.fingerprint)) == method.fingerprint
