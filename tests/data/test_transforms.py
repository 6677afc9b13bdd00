"""Data transforms: binarisation (static on the host, dynamic inside the
step, fixed for evaluation) and the denoising corruption."""

import jax
import ml_collections
import numpy as np

from unsup_jax.configs import base
from unsup_jax.data import transforms
from unsup_jax.data.dataset import Dataset
from unsup_jax.ops import corruption, distributions


def _data_config(**fields):
  c = base.base_config().data
  c.update(fields)
  return c


def test_static_binarization_is_fixed_and_bernoulli():
  images = np.full((8, 6, 6, 1), 0.5, np.float32)
  static = transforms.binarize_static(images, seed=0)
  assert static.dtype == np.float32
  assert set(np.unique(static)) == {0.0, 1.0}
  np.testing.assert_array_equal(static, transforms.binarize_static(images, 0))
  assert not np.array_equal(static, transforms.binarize_static(images, 1))
  gray = np.linspace(0, 1, 20000, dtype=np.float32).reshape(20, 1000, 1, 1)
  bits = transforms.binarize_static(gray, 3)
  assert abs(bits.mean() - 0.5) < 0.01
  assert np.all(bits[gray == 0] == 0) and np.all(bits[gray == 1] == 1)


def test_dynamic_binarization_is_bernoulli_per_step_and_example():
  t = transforms.StepTransform.create(_data_config(binarize="dynamic"), 0)
  gray = np.linspace(0.0, 1.0, 40 * 16 * 16, dtype=np.float32)
  images = gray.reshape(40, 16, 16, 1)
  run = jax.jit(lambda b, step, off: t(0, b, step, off))
  a = np.asarray(run({"image": images}, 0, 0)["image"])
  b = np.asarray(run({"image": images}, 1, 0)["image"])
  for bits in (a, b):
    assert set(np.unique(bits)) == {0.0, 1.0}
    for lo in (0.0, 0.25, 0.5, 0.75):  # The mean tracks the gray level.
      band = (images >= lo) & (images < lo + 0.25)
      assert abs(bits[band].mean() - images[band].mean()) < 0.03
    assert np.all(bits[images == 0.0] == 0.0)
    assert np.all(bits[images == 1.0] == 1.0)
  assert not np.array_equal(a, b)                 # fresh bits every step
  # The bits of an example depend on its global index only: a batch split
  # in two (offsets 0 and 20) draws what the whole batch draws.
  halves = [np.asarray(run({"image": images[i:i + 20]}, 0, i)["image"])
            for i in (0, 20)]
  np.testing.assert_array_equal(np.concatenate(halves), a)
  other_stream = np.asarray(jax.jit(lambda x: t(1, {"image": x}, 0, 0))(
      images)["image"])
  assert not np.array_equal(other_stream, a)


def test_corruption_adds_the_corrupted_feature_keyed_per_example():
  config = _data_config(corruption="masking", corruption_level=0.25)
  t = transforms.StepTransform.create(config, 7)
  x = np.random.default_rng(0).random((6, 4, 4, 1)).astype(np.float32)
  out = t(0, {"image": x, "label": np.arange(6)}, 3, 0)
  np.testing.assert_array_equal(out["image"], x)   # the clean target stays
  noisy = np.asarray(out["corrupted"])
  assert np.all((noisy == 0) | (noisy == x))
  assert np.isclose(np.mean((noisy == 0) & (x != 0)), 0.25, atol=0.06)
  root = jax.random.fold_in(jax.random.key(7), transforms.STEP_KEY_STREAM)
  key = jax.random.split(jax.random.fold_in(jax.random.fold_in(root, 0), 3))[1]
  expected = corruption.corrupt_examples(
      distributions.per_example_keys(key, 6, 0), x, kind="masking",
      level=0.25)
  np.testing.assert_array_equal(noisy, np.asarray(expected))
  assert transforms.StepTransform.create(_data_config(), 0) is None


def test_eval_view_is_fixed_per_split():
  rng = np.random.default_rng(1)
  split = lambda n: {"image": rng.random((n, 5, 5, 1)).astype(np.float32),
                     "label": np.arange(n, dtype=np.int32)}
  dataset = Dataset.create("d", {"train": split(10), "test": split(6)},
                           num_classes=10)
  config = _data_config(binarize="dynamic", corruption="gaussian",
                        corruption_level=0.2)
  view = transforms.eval_view(dataset, config)
  again = transforms.eval_view(dataset, config)
  for s in ("train", "test"):
    np.testing.assert_array_equal(view.split(s)["image"],
                                  again.split(s)["image"])
    assert set(np.unique(view.split(s)["image"])) <= {0.0, 1.0}
    np.testing.assert_array_equal(view.split(s)["label"],
                                  dataset.split(s)["label"])
  np.testing.assert_array_equal(
      view.split("test")["image"], transforms.binarize_static(
          dataset.split("test")["image"], transforms.TEST_BINARIZATION_SEED))
  key = jax.random.key(transforms.EVAL_CORRUPTION_SEED)
  keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(np.arange(6))
  np.testing.assert_allclose(
      view.split("test")["corrupted"], corruption.corrupt_examples(
          keys, view.split("test")["image"], kind="gaussian", level=0.2),
      rtol=1e-6)
  plain = transforms.eval_view(dataset, _data_config())
  np.testing.assert_array_equal(plain.split("test")["image"],
                                dataset.split("test")["image"])
  assert "corrupted" not in plain.split("test")


def test_static_training_arrays():
  images = np.full((8, 3, 3, 1), 0.5, np.float32)
  dataset = Dataset.create("d", {"train": {"image": images},
                                 "test": {"image": images}})
  arrays = transforms.training_arrays(dataset, ml_collections.ConfigDict(
      dict(binarize="static")))
  np.testing.assert_array_equal(
      arrays.split("train")["image"],
      transforms.binarize_static(images, transforms.STATIC_BINARIZE_SEED))
  np.testing.assert_array_equal(arrays.split("test")["image"], images)
