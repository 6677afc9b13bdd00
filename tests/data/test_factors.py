"""Tests for the factor datasets (`data/sprites.py`, `data/factors.py`):
rendering, the datasets, the samplers and the real TFDS paths."""

import numpy as np
import pytest

from unsup_jax.data import factors, sources, sprites
from unsup_jax.errors import UserError


@pytest.fixture(name="rng")
def _rng():
  return np.random.default_rng(0)


def _centroid(image):
  ys, xs = np.nonzero(image[..., 0] > 0.5)
  return ys.mean(), xs.mean()


def test_dsprites_rendering_follows_its_factors():
  base = np.array([[1, 5, 0, 16, 16]])
  image = sprites.render_dsprites(base)[0]
  assert image.shape == (64, 64, 1) and set(np.unique(image)) == {0.0, 1.0}
  # x and y move the shape right and down, monotonically.
  xs = [_centroid(sprites.render_dsprites(base + [[0, 0, 0, dx, 0]])[0])[1]
        for dx in (-16, -8, 0, 8, 15)]
  ys = [_centroid(sprites.render_dsprites(base + [[0, 0, 0, 0, dy]])[0])[0]
        for dy in (-16, -8, 0, 8, 15)]
  assert np.all(np.diff(xs) > 0) and np.all(np.diff(ys) > 0)
  # Scale grows the area; the three shapes differ; orientation turns them.
  areas = [sprites.render_dsprites([[s, k, 0, 16, 16]]).sum()
           for s in range(3) for k in (0, 5)]
  assert all(areas[i] < areas[i + 1] for i in (0, 2, 4))
  shapes = sprites.render_dsprites([[s, 5, 3, 16, 16] for s in range(3)])
  assert len({bytes(x) for x in shapes}) == 3
  turned = sprites.render_dsprites([[1, 5, 10, 16, 16]])[0]   # 90 degrees
  assert not np.array_equal(turned, image)
  np.testing.assert_allclose(turned.sum(), image.sum(), rtol=0.05)


def test_colour_sprites_colours_are_their_factors():
  f = np.array([[h, b, 0, 3, 4, 4] for h in range(8) for b in (0, 3)])
  images = sprites.render_colour(f)
  assert images.shape == (16, 32, 32, 3)
  assert images.min() >= 0 and images.max() <= 1
  corner = images[:, 0, 0]                 # background only
  centre = images[:, 16, 16]               # inside the largest square
  assert len({tuple(np.round(c, 4)) for c in centre}) == 8
  assert len({tuple(np.round(c, 4)) for c in corner}) == 2


def test_rendering_does_not_depend_on_the_chunk(rng, monkeypatch):
  sizes = sprites.DSPRITES[1]
  f = np.stack([rng.integers(k, size=70) for k in sizes], axis=1)
  whole = sprites.render_dsprites(f)
  monkeypatch.setattr(sprites, "CHUNK", 16)      # 5 chunks, the last short
  np.testing.assert_array_equal(sprites.render_dsprites(f), whole)
  one_by_one = [sprites.render_dsprites(f[i:i + 1])[0] for i in range(3)]
  np.testing.assert_array_equal(np.stack(one_by_one), whole[:3])



@pytest.mark.parametrize("name", ["dsprites_procedural", "colour_sprites"])
def test_procedural_datasets_carry_their_factors(name):
  ds = sources.load(name, num_train=300, num_test=50)
  space = factors.space_of(ds)
  (names, sizes), render, _ = factors.PROCEDURAL[name]
  assert space == factors.FactorSpace(names, sizes)
  train = ds.split("train")
  assert train["factors"].shape == (300, len(sizes))
  assert train["factors"].dtype == np.int32 and ds.size("test") == 50
  assert np.all(train["factors"] >= 0) and np.all(train["factors"] < sizes)
  np.testing.assert_array_equal(train["label"],
                                train["factors"][:, space.index("shape")])
  np.testing.assert_array_equal(train["image"][:5],
                                render(train["factors"][:5]))
  # Every value of every factor turns up in 300 uniform draws.
  for k, s in enumerate(sizes):
    if s <= 8:
      assert len(np.unique(train["factors"][:, k])) == s
  assert ds is sources.load(name, num_train=300, num_test=50)   # cached


@pytest.mark.parametrize("kind", ["rendered", "held"])
def test_the_sampler_holds_the_chosen_factors_fixed(kind, rng):
  ds = sources.load("dsprites_procedural", num_train=2000, num_test=10)
  sampler = (factors.sampler(ds) if kind == "rendered" else
             factors.HeldFactors(factors.space_of(ds), ds.split("train")[
                 "factors"], ds.split("train")["image"]))
  f, x = sampler.sample(rng, 40, fixed={"shape": 2, 1: 3})
  assert np.all(f[:, 0] == 2) and np.all(f[:, 1] == 3)
  assert len(np.unique(f[:, 3])) > 10          # the free factors vary
  np.testing.assert_array_equal(x, sprites.render_dsprites(f))
  # Per-example values, -1 = free.
  values = np.arange(40) % 3
  f, _ = sampler.sample(rng, 40, fixed={"shape": values,
                                        "x": np.where(values == 0, 5, -1)})
  np.testing.assert_array_equal(f[:, 0], values)
  assert np.all(f[values == 0, 3] == 5) and len(np.unique(f[values > 0, 3])) > 5


def test_shared_factors_keep_a_uniform_number_of_random_factors():
  """How many factors a pair shares is uniform in [0, K - 1] (never all:
  the partner differs), and which ones is uniform over the factors: with
  6,000 pairs of 6 factors, 1,000 per count and 2,500 per factor, each
  within 5 standard deviations."""
  keep = factors.shared_factors(np.random.default_rng(0), 6000, 6)
  assert keep.shape == (6000, 6) and keep.dtype == bool
  counts = np.bincount(keep.sum(1), minlength=7)
  assert counts[6] == 0
  assert np.all(np.abs(counts[:6] - 1000) < 5 * np.sqrt(1000 * 5 / 6))
  assert np.all(np.abs(keep.sum(0) - 2500) < 5 * np.sqrt(6000 * 0.35))
  again = factors.shared_factors(np.random.default_rng(0), 6000, 6)
  np.testing.assert_array_equal(keep, again)


def test_bad_requests_are_user_errors(rng):
  ds = sources.load("dsprites_procedural", num_train=50, num_test=10)
  sampler = factors.sampler(ds)
  with pytest.raises(UserError, match="unknown factor 'colour'"):
    sampler.sample(rng, 4, fixed={"colour": 1})
  with pytest.raises(UserError, match="out of range"):
    sampler.sample(rng, 4, fixed={"shape": 3})
  held = factors.sampler(ds.replace_split("test", ds.split("train")), "test")
  held = factors.HeldFactors(held.space, ds.split("train")["factors"],
                             ds.split("train")["image"])
  with pytest.raises(UserError, match="no held example has"):
    held.sample(rng, 4, fixed={"shape": 0, "scale": 0, "orientation": 0,
                               "x": 0, "y": 0})
  with pytest.raises(UserError, match="no factors of variation"):
    factors.space_of(sources.load("digits"))


@pytest.mark.parametrize("name,k", [("dsprites", 5), ("shapes3d", 6)])
def test_tfds_factor_sets_read_their_labels(name, k):
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  with tfds.testing.mock_data(num_examples=40):
    ds = sources.load(f"tfds:{name}", num_train=30, num_test=6)
  space = factors.space_of(ds)
  assert space.num_factors == k and ds.size("train") == 30
  assert ds.size("test") == 6
  train = ds.split("train")
  assert np.all(train["factors"] < space.sizes)
  assert train["image"].dtype == np.float32 and train["image"].max() <= 1
  sampler = factors.sampler(ds)                 # over the held examples
  value = int(train["factors"][0, 0])
  f, x = sampler.sample(np.random.default_rng(0), 5,
                        fixed={space.names[0]: value})
  assert np.all(f[:, 0] == value) and x.shape[1:] == train["image"].shape[1:]


def test_paired_sets_share_what_they_record():
  ds = sources.load("colour_sprites_pairs", num_train=300, num_test=20)
  train = ds.split("train")
  np.testing.assert_array_equal(train["shared"],
                                train["factors"] == train["pair_factors"])
  np.testing.assert_array_equal(train["pair_image"][:4],
                                sprites.render_colour(train["pair_factors"][:4]))
  counts = np.bincount(train["shared"].sum(1), minlength=7)
  assert counts[6] == 0 and np.all(counts[:6] > 20)   # 0..5, never all
  assert "pair_image" not in ds.split("test")
  assert isinstance(factors.sampler(ds), factors.RenderedFactors)
