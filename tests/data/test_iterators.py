"""Tests for unsup_jax.data.iterators."""

import json

import numpy as np
import pytest

from unsup_jax.data import iterators
from unsup_jax.errors import UserError

N = 50


def _data(n=N):
  """Images whose first pixel is the example index / n; labels = index."""
  rng = np.random.default_rng(123)
  images = rng.random((n, 4, 3, 1)).astype(np.float32)
  images[:, 0, 0, 0] = np.arange(n) / n
  return images, np.arange(n, dtype=np.int32)


def _take(it, k):
  return [next(it) for _ in range(k)]


def _assert_same(batches_a, batches_b):
  assert len(batches_a) == len(batches_b)
  for a, b in zip(batches_a, batches_b):
    np.testing.assert_array_equal(a["image"], b["image"])
    np.testing.assert_array_equal(a["label"], b["label"])


def test_batch_types_and_shapes():
  images, labels = _data()
  it = iterators.BatchIterator(images, labels.astype(np.int64),
                               global_batch_size=8, seed=0)
  assert it.batches_per_epoch == N // 8
  batch = next(it)
  assert batch["image"].dtype == np.float32
  assert batch["image"].shape == (8, 4, 3, 1)
  assert batch["label"].dtype == np.int32 and batch["label"].shape == (8,)
  np.testing.assert_array_equal(batch["image"], images[batch["label"]])
  assert it.position == 1 and it.state() == {"position": 1}
  assert iter(it) is it


def test_same_seed_same_sequence_different_seed_different():
  images, labels = _data()
  make = lambda seed: iterators.BatchIterator(  # pylint: disable=g-long-lambda
      images, labels, global_batch_size=8, seed=seed)
  _assert_same(_take(make(3), 20), _take(make(3), 20))
  a = np.concatenate([b["label"] for b in _take(make(3), 6)])
  b = np.concatenate([b["label"] for b in _take(make(4), 6)])
  assert not np.array_equal(a, b)


def test_every_example_once_per_epoch_and_epochs_differ():
  images, labels = _data()
  it = iterators.BatchIterator(images, labels, global_batch_size=10, seed=1)
  assert it.batches_per_epoch == 5
  epochs = [np.concatenate([b["label"] for b in _take(it, 5)])
            for _ in range(3)]
  for epoch in epochs:
    np.testing.assert_array_equal(np.sort(epoch), np.arange(N))
  assert not np.array_equal(epochs[0], epochs[1])


def test_remainder_is_dropped_without_repeats():
  images, labels = _data()
  it = iterators.BatchIterator(images, labels, global_batch_size=16, seed=0)
  assert it.batches_per_epoch == 3
  seen = np.concatenate([b["label"] for b in _take(it, 3)])
  assert len(np.unique(seen)) == 48


def test_restore_equals_continuing_and_peek_does_not_advance():
  images, labels = _data()
  for binarize in iterators.BINARIZE_MODES:
    kwargs = dict(global_batch_size=8, seed=5, binarize=binarize)
    it = iterators.BatchIterator(images, labels, **kwargs)
    _take(it, 13)
    state = json.loads(json.dumps(it.state()))
    expected = _take(it, 9)
    resumed = iterators.BatchIterator(images, labels, **kwargs)
    resumed.restore(state)
    assert resumed.position == 13
    peeked = resumed.peek()
    assert resumed.position == 13
    _assert_same([peeked], expected[:1])
    _assert_same(_take(resumed, 9), expected)


@pytest.mark.parametrize("binarize", ["none", "dynamic", "static"])
@pytest.mark.parametrize("process_count", [2, 4])
def test_process_shards_concatenate_to_the_global_batch(binarize,
                                                        process_count):
  images, labels = _data()
  kwargs = dict(global_batch_size=8, seed=2, binarize=binarize)
  single = _take(iterators.BatchIterator(images, labels, **kwargs), 15)
  shards = [
      _take(iterators.BatchIterator(images, labels, process_index=i,
                                    process_count=process_count, **kwargs), 15)
      for i in range(process_count)
  ]
  for i, shard in enumerate(shards):
    assert shard[0]["image"].shape[0] == 8 // process_count, i
  joined = [{k: np.concatenate([s[p][k] for s in shards]) for k in single[p]}
            for p in range(15)]
  _assert_same(joined, single)


def test_dynamic_binarization_is_bernoulli_of_gray():
  gray = np.linspace(0.0, 1.0, 40 * 16 * 16, dtype=np.float32)
  images = gray.reshape(40, 16, 16, 1)
  labels = np.arange(40, dtype=np.int32)
  it = iterators.BatchIterator(images, labels, global_batch_size=40, seed=0,
                               binarize="dynamic")
  for _ in range(2):
    batch = next(it)
    bits, probs = batch["image"], images[batch["label"]]
    assert bits.dtype == np.float32
    assert set(np.unique(bits)) == {0.0, 1.0}
    assert abs(bits.mean() - gray.mean()) < 0.02
    for lo in (0.0, 0.25, 0.5, 0.75):  # The mean tracks the gray level.
      band = (probs >= lo) & (probs < lo + 0.25)
      assert abs(bits[band].mean() - probs[band].mean()) < 0.03
    assert np.all(bits[probs == 0.0] == 0.0)
    assert np.all(bits[probs == 1.0] == 1.0)


def test_dynamic_bits_change_between_epochs():
  images = np.full((8, 6, 6, 1), 0.5, np.float32)
  it = iterators.BatchIterator(images, np.zeros(8, np.int32),
                               global_batch_size=8, seed=0, binarize="dynamic")
  a, b = next(it), next(it)
  assert not np.array_equal(a["image"], b["image"])
  assert abs(a["image"].mean() - 0.5) < 0.1


def test_static_binarization_is_fixed():
  images = np.full((8, 6, 6, 1), 0.5, np.float32)
  static = iterators.binarize_static(images, seed=0)
  assert static.dtype == np.float32
  assert set(np.unique(static)) == {0.0, 1.0}
  np.testing.assert_array_equal(static, iterators.binarize_static(images, 0))
  assert not np.array_equal(static, iterators.binarize_static(images, 1))
  labels = np.arange(8, dtype=np.int32)
  it = iterators.BatchIterator(images, labels, global_batch_size=8, seed=0,
                               binarize="static")
  a, b = next(it), next(it)  # Two epochs of the same 8 examples.
  np.testing.assert_array_equal(a["image"], static[a["label"]])
  np.testing.assert_array_equal(b["image"], static[b["label"]])


def test_user_errors():
  images, labels = _data()
  with pytest.raises(UserError, match="larger than the dataset"):
    iterators.BatchIterator(images, labels, global_batch_size=N + 1, seed=0)
  with pytest.raises(UserError, match="10 is not divisible.*3"):
    iterators.BatchIterator(images, labels, global_batch_size=10, seed=0,
                            process_count=3)
  with pytest.raises(UserError, match="binarize"):
    iterators.BatchIterator(images, labels, global_batch_size=10, seed=0,
                            binarize="otsu")
  with pytest.raises(UserError, match="process_index"):
    iterators.BatchIterator(images, labels, global_batch_size=10, seed=0,
                            process_index=2, process_count=2)
  with pytest.raises(UserError, match="global_batch_size"):
    iterators.BatchIterator(images, labels, global_batch_size=0, seed=0)
  with pytest.raises(UserError, match="seed"):
    iterators.BatchIterator(images, labels, global_batch_size=10, seed=-1)
  it = iterators.BatchIterator(images, labels, global_batch_size=10, seed=0)
  with pytest.raises(UserError, match="position"):
    it.restore({"step": 3})
  with pytest.raises(UserError, match="position"):
    it.restore({"position": -1})


def test_eval_batches_cover_every_example_once_in_order():
  images, labels = _data(23)
  batches = list(iterators.eval_batches(images, labels, batch_size=5))
  assert [len(b["label"]) for b in batches] == [5, 5, 5, 5, 3]
  np.testing.assert_array_equal(
      np.concatenate([b["image"] for b in batches]), images)
  np.testing.assert_array_equal(
      np.concatenate([b["label"] for b in batches]), np.arange(23))
  assert batches[0]["image"].dtype == np.float32
  assert batches[0]["label"].dtype == np.int32
  assert len(list(iterators.eval_batches(images, labels, 100))) == 1
  with pytest.raises(UserError, match="batch_size"):
    list(iterators.eval_batches(images, labels, 0))
