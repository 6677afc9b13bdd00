"""Tests for unsup_jax.data.iterators."""

import numpy as np
import pytest

from unsup_jax.data import iterators
from unsup_jax.errors import UserError

N = 50


def _data(n=N):
  """Images whose first pixel is the example index / n; labels = index;
  token sequences `[n, 7]` too (features of any shape ride along)."""
  rng = np.random.default_rng(123)
  images = rng.random((n, 4, 3, 1)).astype(np.float32)
  images[:, 0, 0, 0] = np.arange(n) / n
  tokens = (np.arange(n)[:, None] * 7 + np.arange(7)).astype(np.int32)
  return {"image": images, "label": np.arange(n, dtype=np.int32),
          "tokens": tokens}


def _take(it, k, start=0):
  return [it.batch_at(p) for p in range(start, start + k)]


def _assert_same(batches_a, batches_b):
  assert len(batches_a) == len(batches_b)
  for a, b in zip(batches_a, batches_b):
    assert a.keys() == b.keys()
    for k in a:
      np.testing.assert_array_equal(a[k], b[k])


def test_batch_types_and_shapes():
  data = _data()
  it = iterators.BatchIterator(data, global_batch_size=8, seed=0)
  assert it.batches_per_epoch == N // 8
  batch = it.batch_at(0)
  assert set(batch) == {"image", "label", "tokens"}
  assert batch["image"].shape == (8, 4, 3, 1)
  assert batch["label"].dtype == np.int32 and batch["label"].shape == (8,)
  assert batch["tokens"].shape == (8, 7)
  np.testing.assert_array_equal(batch["image"], data["image"][batch["label"]])
  np.testing.assert_array_equal(batch["tokens"][:, 0], batch["label"] * 7)


def test_same_seed_same_sequence_different_seed_different():
  data = _data()
  make = lambda seed: iterators.BatchIterator(  # pylint: disable=g-long-lambda
      data, global_batch_size=8, seed=seed)
  _assert_same(_take(make(3), 20), _take(make(3), 20))
  a = np.concatenate([b["label"] for b in _take(make(3), 6)])
  b = np.concatenate([b["label"] for b in _take(make(4), 6)])
  assert not np.array_equal(a, b)
  c = np.concatenate([b["label"] for b in _take(make((3, 1)), 6)])
  assert not np.array_equal(a, c)            # a seed sequence is another order


def test_every_example_once_per_epoch_and_epochs_differ():
  it = iterators.BatchIterator(_data(), global_batch_size=10, seed=1)
  assert it.batches_per_epoch == 5
  epochs = [np.concatenate([b["label"] for b in _take(it, 5, 5 * e)])
            for e in range(3)]
  for epoch in epochs:
    np.testing.assert_array_equal(np.sort(epoch), np.arange(N))
  assert not np.array_equal(epochs[0], epochs[1])


def test_remainder_is_dropped_without_repeats():
  it = iterators.BatchIterator(_data(), global_batch_size=16, seed=0)
  assert it.batches_per_epoch == 3
  seen = np.concatenate([b["label"] for b in _take(it, 3)])
  assert len(np.unique(seen)) == 48


def test_a_batch_is_a_function_of_its_position_alone():
  """A fresh iterator's batch at a position is the batch an iterator that
  drew every earlier position gives there (what a resumed run relies on),
  in any order of asking."""
  data = _data()
  kwargs = dict(global_batch_size=8, seed=5)
  expected = _take(iterators.BatchIterator(data, **kwargs), 22)
  fresh = iterators.BatchIterator(data, **kwargs)
  _assert_same([fresh.batch_at(p) for p in (21, 13, 0)],
               [expected[21], expected[13], expected[0]])


@pytest.mark.parametrize("process_count", [2, 4])
def test_process_shards_concatenate_to_the_global_batch(process_count):
  data = _data()
  kwargs = dict(global_batch_size=8, seed=2)
  single = _take(iterators.BatchIterator(data, **kwargs), 15)
  shards = [
      _take(iterators.BatchIterator(data, process_index=i,
                                    process_count=process_count, **kwargs), 15)
      for i in range(process_count)
  ]
  for i, shard in enumerate(shards):
    assert shard[0]["image"].shape[0] == 8 // process_count, i
  joined = [{k: np.concatenate([s[p][k] for s in shards]) for k in single[p]}
            for p in range(15)]
  _assert_same(joined, single)


def test_user_errors():
  data = _data()
  with pytest.raises(UserError, match="larger than its data"):
    iterators.BatchIterator(data, global_batch_size=N + 1, seed=0)
  with pytest.raises(UserError, match="10 .*is not divisible.*3"):
    iterators.BatchIterator(data, global_batch_size=10, seed=0,
                            process_count=3)
  with pytest.raises(UserError, match="process_index"):
    iterators.BatchIterator(data, global_batch_size=10, seed=0,
                            process_index=2, process_count=2)
  with pytest.raises(UserError, match="batch size"):
    iterators.BatchIterator(data, global_batch_size=0, seed=0)
  with pytest.raises(UserError, match="seed"):
    iterators.BatchIterator(data, global_batch_size=10, seed=-1)
  with pytest.raises(ValueError, match="different lengths"):
    iterators.BatchIterator(dict(data, label=data["label"][:3]),
                            global_batch_size=2, seed=0)
