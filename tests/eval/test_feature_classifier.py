"""Tests for unsup_jax.eval.feature_classifier: accuracy, cache, FID sanity."""

import json
import os
import shutil
import threading
import time

import jax
import numpy as np
import pytest

from unsup_jax.data import sources
from unsup_jax.errors import UserError
from unsup_jax.eval import feature_classifier as fc
from unsup_jax.eval import fid as fid_lib


@pytest.fixture(scope="module")
def cache():
  """(cache path, classifier): the suite's shared cache (conftest), which the
  GAN tests read too, trained by whichever test needs it first."""
  path = os.environ["UNSUP_JAX_FID_CLASSIFIER"]
  return path, fc.load_or_train(path, seed=0)


@pytest.fixture(scope="module")
def data():
  return sources.load("mnist5k")


def _no_training(**unused_kwargs):
  raise AssertionError("the cache should have been used")


def test_accuracy_and_predictions(cache, data):
  _, classifier = cache
  predictions = classifier.predict(data.split("test")["image"])
  assert predictions.shape == (1000,)
  accuracy = float(np.mean(predictions == data.split("test")["label"]))
  assert accuracy == classifier.test_accuracy
  assert accuracy > 0.97


def test_features_shape_and_batching(cache, data):
  _, classifier = cache
  images = data.split("test")["image"][:613]          # two batches, the last padded
  features = classifier.features(images)
  assert features.shape == (613, fc.FEATURE_DIM)
  assert features.dtype == np.float32 and np.all(features >= 0)   # ReLU
  np.testing.assert_allclose(classifier.features(images[600:]),
                             features[600:], rtol=1e-4, atol=1e-5)  # float32 sums differ by batch
  # Informative: not collapsed to a few dimensions.
  assert np.linalg.matrix_rank(np.cov(features, rowvar=False)) > 20
  with pytest.raises(UserError, match="28, 28, 1"):
    classifier.features(np.zeros((4, 28, 28)))


def test_cache_round_trips_without_training(cache, data, monkeypatch):
  path, classifier = cache
  meta = json.load(open(path + ".json"))
  assert meta["test_accuracy"] == classifier.test_accuracy
  assert meta["seed"] == 0 and meta["version"] == fc.VERSION
  monkeypatch.setattr(fc, "train", _no_training)
  loaded = fc.load_or_train(path, seed=0)
  assert loaded.test_accuracy == classifier.test_accuracy
  images = data.split("test")["image"][:100]
  np.testing.assert_array_equal(loaded.features(images),
                                classifier.features(images))
  jax.tree.map(np.testing.assert_array_equal, loaded.params,
               classifier.params)


@pytest.mark.parametrize("damage", ["garbage_params", "truncated_params",
                                    "garbage_json", "json_not_a_dict",
                                    "missing_json",
                                    "other_seed", "other_version"])
def test_a_corrupt_or_mismatched_cache_is_retrained(cache, data, tmp_path,
                                                    monkeypatch, damage):
  path, classifier = cache
  copy = str(tmp_path / "sub" / "fc.msgpack")
  os.makedirs(os.path.dirname(copy))
  shutil.copy(path, copy)
  shutil.copy(path + ".json", copy + ".json")
  seed = 0
  if damage == "garbage_params":
    open(copy, "wb").write(b"\x00not msgpack at all")
  elif damage == "truncated_params":
    payload = open(copy, "rb").read()
    open(copy, "wb").write(payload[:len(payload) // 2])
  elif damage == "garbage_json":
    open(copy + ".json", "w").write("{not json")
  elif damage == "json_not_a_dict":
    open(copy + ".json", "w").write("[1, 2]")
  elif damage == "missing_json":
    os.remove(copy + ".json")
  elif damage == "other_seed":
    seed = 1
  elif damage == "other_version":
    monkeypatch.setitem(fc.RECIPE, "version", fc.VERSION + 1)
  calls = []

  def fake_train(*, seed, progress):
    calls.append(seed)
    return classifier          # stands in for the (slow) real training

  monkeypatch.setattr(fc, "train", fake_train)
  retrained = fc.load_or_train(copy, seed=seed)
  assert calls == [seed]
  assert retrained.test_accuracy == classifier.test_accuracy
  # The rewritten cache now loads without training.
  monkeypatch.setattr(fc, "train", _no_training)
  loaded = fc.load_or_train(copy, seed=seed)
  np.testing.assert_array_equal(loaded.features(data.split("test")["image"][:10]),
                                classifier.features(data.split("test")["image"][:10]))
  assert not [f for f in os.listdir(os.path.dirname(copy)) if ".tmp" in f]


def test_processes_missing_the_cache_together_train_once(cache, tmp_path,
                                                         monkeypatch):
  _, classifier = cache
  path = str(tmp_path / "shared" / "fc.msgpack")
  calls = []

  def slow_train(*, seed, progress):
    calls.append(seed)
    time.sleep(0.5)            # the others arrive while this one trains
    return classifier

  monkeypatch.setattr(fc, "train", slow_train)
  got = []
  threads = [threading.Thread(target=lambda: got.append(
      fc.load_or_train(path, seed=0))) for _ in range(3)]
  for t in threads:
    t.start()
  for t in threads:
    t.join()
  assert calls == [0] and len(got) == 3
  assert all(g.test_accuracy == classifier.test_accuracy for g in got)


def test_training_is_deterministic_given_the_seed():
  a = fc.train(seed=3, epochs=1)
  b = fc.train(seed=3, epochs=1)
  c = fc.train(seed=4, epochs=1)
  jax.tree.map(np.testing.assert_array_equal, a.params, b.params)
  assert a.test_accuracy == b.test_accuracy
  assert not np.array_equal(a.params["Dense_0"]["kernel"],
                            c.params["Dense_0"]["kernel"])


def test_fid_orders_real_test_digits_before_noise_and_one_digit(cache, data):
  _, classifier = cache
  train = classifier.features(data.split("train")["image"])
  test = classifier.features(data.split("test")["image"])
  rng = np.random.default_rng(0)
  noise = classifier.features(
      rng.uniform(size=(1000, 28, 28, 1)).astype(np.float32))
  one_digit = classifier.features(
      np.repeat(data.split("test")["image"][:1], 1000, axis=0))
  # A blurred copy of the test set: a mild degradation.
  blurred_images = 0.25 * (np.roll(data.split("test")["image"], 1, 1) +
                           np.roll(data.split("test")["image"], -1, 1) +
                           np.roll(data.split("test")["image"], 1, 2) +
                           np.roll(data.split("test")["image"], -1, 2))
  blurred = classifier.features(blurred_images)
  real = fid_lib.fid(train, test)
  assert real > 0
  assert real < fid_lib.fid(test, blurred) < fid_lib.fid(test, noise)
  assert 10 * real < fid_lib.fid(test, noise)
  assert 10 * real < fid_lib.fid(test, one_digit)
  kid_real, _ = fid_lib.kid(train, test)
  kid_noise, _ = fid_lib.kid(test, noise)
  assert kid_real < 0.1 * kid_noise
