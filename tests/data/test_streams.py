"""Streams: the default one, class-balanced subsets and their rest, each
with its own batch size and order; the spec methods are built from."""

import ml_collections
import numpy as np
import pytest

from unsup_jax.configs import base
from unsup_jax.data import streams
from unsup_jax.data.dataset import Dataset
from unsup_jax.errors import UserError


def _dataset(n=60, classes=3):
  labels = np.arange(n) % classes
  return Dataset.create("toy", {
      "train": {"image": np.random.default_rng(0).random(
          (n, 2, 2, 1)).astype(np.float32), "label": labels.astype(np.int32)},
      "test": {"image": np.zeros((6, 2, 2, 1), np.float32),
               "label": np.arange(6, dtype=np.int32) % classes}},
      num_classes=classes)


def _config(**extra_streams):
  c = base.base_config()
  c.data.batch_size = 12
  c.data.streams = ml_collections.ConfigDict(extra_streams)
  return c


def test_balanced_rows_nest_and_are_balanced():
  labels = np.repeat(np.arange(4), [30, 20, 25, 40])
  a = streams.balanced_rows(labels, 40, seed=0, num_classes=4)
  assert np.bincount(labels[a]).tolist() == [10, 10, 10, 10]
  np.testing.assert_array_equal(a, np.sort(a))
  np.testing.assert_array_equal(
      a, streams.balanced_rows(labels, 40, seed=0, num_classes=4))
  assert set(a) != set(streams.balanced_rows(labels, 40, seed=1,
                                             num_classes=4))
  assert set(streams.balanced_rows(labels, 20, seed=0,
                                   num_classes=4)) <= set(a)
  with pytest.raises(UserError, match="class 1 has 20"):
    streams.balanced_rows(labels, 84, seed=0, num_classes=4)
  with pytest.raises(UserError, match="cannot cover"):
    streams.balanced_rows(labels, 3, seed=0, num_classes=4)


def test_labelled_and_unlabelled_streams():
  config = _config(
      labelled=dict(split="train", batch_size=6, subset="balanced", size=15),
      unlabelled=dict(split="train", batch_size=9, subset="rest",
                      of="labelled"))
  data = streams.prepare(_dataset(), config)
  assert list(data.streams) == ["train", "labelled", "unlabelled"]
  lab, unl = data.streams["labelled"], data.streams["unlabelled"]
  labels = data.dataset.split("train")["label"]
  assert np.bincount(labels[lab.rows]).tolist() == [5, 5, 5]
  assert sorted(np.concatenate([lab.rows, unl.rows]).tolist()) == list(
      range(60))
  assert data.iterator("labelled").batch_at(0)["image"].shape[0] == 6
  assert data.iterator("unlabelled").batch_at(0)["image"].shape[0] == 9
  for _ in range(3):   # labelled batches only ever hold labelled rows
    batch = data.iterator("labelled").batch_at(_)
    rows = [np.flatnonzero(np.all(data.dataset.split("train")["image"] == x,
                                  axis=(1, 2, 3)))[0] for x in batch["image"]]
    assert set(rows) <= set(lab.rows)
  # Streams have their own orders; "train" keeps the run's.
  assert data.streams["train"].seed == (0,)
  assert data.streams["labelled"].seed != data.streams["unlabelled"].seed
  spec = data.spec()
  assert spec.shape("image", "unlabelled") == (2, 2, 1)
  assert spec.image_shape == (2, 2, 1) and spec.num_classes == 3
  with pytest.raises(UserError, match="feature 'tokens'"):
    spec.shape("tokens")


def test_rest_of_a_chosen_size_and_errors():
  config = _config(labelled=dict(batch_size=3, subset="balanced", size=9),
                   some=dict(batch_size=4, subset="rest", of="labelled",
                             size=20))
  data = streams.prepare(_dataset(), config)
  assert len(data.streams["some"].rows) == 20
  assert not set(data.streams["some"].rows) & set(
      data.streams["labelled"].rows)
  with pytest.raises(UserError, match="fewer than its batch size"):
    streams.prepare(_dataset(), _config(big=dict(batch_size=70)))
  with pytest.raises(UserError, match="size must be > 0"):
    streams.prepare(_dataset(), _config(lab=dict(subset="balanced")))
  with pytest.raises(UserError, match="not a stream"):
    base.check(_config(rest=dict(subset="rest", of="nothing")))
  with pytest.raises(UserError, match="unknown"):
    base.check(_config(x=dict(batch=3)))
  with pytest.raises(UserError, match="default stream"):
    base.check(_config(train=dict(batch_size=3)))
  unlabelled = Dataset.create("u", {"train": {"image": np.zeros((20, 1))},
                                    "test": {"image": np.zeros((2, 1))}})
  with pytest.raises(UserError, match="needs labels"):
    streams.prepare(unlabelled, _config(l=dict(batch_size=2,
                                               subset="balanced", size=4)))


def test_index_feature_names_each_examples_row_in_its_split():
  c = _config(labelled={"split": "train", "batch_size": 6,
                        "subset": "balanced", "size": 12})
  c.data.index = True
  data = streams.prepare(_dataset(), c)
  images = data.dataset.split("train")["image"]
  for name in ("train", "labelled"):
    assert data.spec().streams[name]["index"].shape == ()
    for position in (0, 7):
      batch = data.iterator(name).batch_at(position)
      assert batch["index"].dtype == np.int32
      np.testing.assert_array_equal(batch["image"], images[batch["index"]])
  rows = {int(i) for p in range(2)
          for i in data.iterator("labelled").batch_at(p)["index"]}
  assert rows == set(data.streams["labelled"].rows.tolist())
  c.data.index = False
  assert "index" not in streams.prepare(_dataset(), c).iterator(
      "train").batch_at(0)
