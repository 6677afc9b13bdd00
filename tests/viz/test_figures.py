"""Tests for `unsup_jax.viz.figures`."""

import os

import matplotlib.figure
import matplotlib.image
import numpy as np
import pytest
from sklearn.decomposition import PCA

from unsup_jax.viz import figures


def _read_png(path):
  """Checks `path` is a readable, non-empty PNG; returns `[H, W, 4]` pixels."""
  assert os.path.getsize(path) > 1000
  with open(path, "rb") as f:
    assert f.read(8) == b"\x89PNG\r\n\x1a\n"
  pixels = matplotlib.image.imread(path)
  assert pixels.ndim == 3 and pixels.shape[0] >= 100 and pixels.shape[1] >= 100
  assert not [f for f in os.listdir(os.path.dirname(path)) if ".tmp" in f]
  return pixels


@pytest.fixture(name="rng")
def _rng():
  return np.random.default_rng(0)


def test_make_mosaic_places_every_tile_exactly(rng):
  images = rng.random((7, 5, 4, 3)).astype(np.float32)
  ncols, pad = 3, 2
  mosaic = figures.make_mosaic(images, ncols, pad)
  assert mosaic.shape == (3 * (5 + pad) + pad, 3 * (4 + pad) + pad, 3)
  for k in range(7):
    i, j = divmod(k, ncols)
    top, left = pad + i * (5 + pad), pad + j * (4 + pad)
    np.testing.assert_array_equal(mosaic[top:top + 5, left:left + 4],
                                  images[i * ncols + j])
  # Padding rows and the two empty slots of the last row are white.
  np.testing.assert_array_equal(mosaic[:pad], 1.0)
  np.testing.assert_array_equal(mosaic[-5 - pad:, pad + 4 + pad:], 1.0)


def test_make_mosaic_rejects_empty_input():
  with pytest.raises(ValueError):
    figures.make_mosaic(np.zeros((0, 4, 4, 1)), 3)


@pytest.mark.parametrize("shape", [(23, 12, 12, 1), (5, 12, 12, 3),
                                   (4, 12, 12)])
def test_image_grid_gray_rgb_and_channelless(tmp_path, rng, shape):
  path = str(tmp_path / "nested" / "dir" / "grid.png")
  images = rng.uniform(-0.5, 1.5, size=shape)  # Out of range: clipped.
  assert figures.image_grid(images, path, ncols=10, title="grid") == path
  _read_png(path)


def test_image_grid_shows_gray_values_as_gray(tmp_path):
  path = str(tmp_path / "black.png")
  figures.image_grid(np.zeros((4, 40, 40, 1)), path)
  pixels = _read_png(path)[..., :3]
  # Black tiles are drawn black: the darkest pixels are exactly 0.
  assert pixels.min() == 0.0
  assert np.mean(np.all(pixels == 0.0, axis=-1)) > 0.2


def test_image_grid_rejects_bad_channels(tmp_path):
  with pytest.raises(ValueError):
    figures.image_grid(np.zeros((2, 8, 8, 2)), str(tmp_path / "x.png"))


def test_reconstructions(tmp_path, rng):
  inputs = rng.random((13, 10, 10, 1))
  path = figures.reconstructions(inputs, 1 - inputs, str(tmp_path / "r.png"))
  assert path == str(tmp_path / "r.png")
  _read_png(path)
  with pytest.raises(ValueError):
    figures.reconstructions(inputs, inputs[:5], str(tmp_path / "bad.png"))
  assert not (tmp_path / "bad.png").exists()


def test_samples(tmp_path, rng):
  _read_png(figures.samples(rng.random((16, 8, 8, 3)),
                            str(tmp_path / "s.png")))


def test_traversals(tmp_path, rng):
  images = rng.random((4, 7, 9, 9, 1))
  path = figures.traversals(images, np.linspace(-3, 3, 7),
                            str(tmp_path / "t.png"))
  _read_png(path)
  with pytest.raises(ValueError):
    figures.traversals(images, np.linspace(-3, 3, 5), str(tmp_path / "u.png"))


def test_interpolations(tmp_path, rng):
  _read_png(figures.interpolations(rng.random((3, 8, 9, 9, 3)),
                                   str(tmp_path / "i.png")))


def test_pca_project_matches_sklearn_up_to_sign(rng):
  codes = rng.normal(size=(200, 6)) * np.array([5, 3, 2, 1, 0.5, 0.1]) + 4.0
  projected, ratio = figures.pca_project(codes, k=3)
  pca = PCA(n_components=3).fit(codes)
  expected = pca.transform(codes)
  assert projected.shape == (200, 3) and ratio.shape == (3,)
  for c in range(3):
    sign = np.sign(np.dot(projected[:, c], expected[:, c]))
    np.testing.assert_allclose(projected[:, c], sign * expected[:, c],
                               atol=1e-8)
  np.testing.assert_allclose(ratio, pca.explained_variance_ratio_, rtol=1e-8)


def test_pca_project_is_deterministic_and_pads_past_rank(rng):
  codes = rng.normal(size=(3, 5))  # Centred rank is 2.
  projected, ratio = figures.pca_project(codes, k=4)
  np.testing.assert_allclose(ratio.sum(), 1.0)
  np.testing.assert_allclose(projected[:, 2:], 0.0, atol=1e-12)
  np.testing.assert_allclose(ratio[2:], 0.0, atol=1e-12)
  again, _ = figures.pca_project(codes[::-1], k=4)
  np.testing.assert_allclose(again[::-1], projected, atol=1e-10)
  flat, flat_ratio = figures.pca_project(np.ones((5, 3)), k=2)
  np.testing.assert_array_equal(flat, 0.0)
  np.testing.assert_array_equal(flat_ratio, 0.0)


@pytest.mark.parametrize("dim", [1, 2, 8])
@pytest.mark.parametrize("labelling", ["classes", "unlabelled", "none", "many",
                                       "mixed"])
def test_latent_scatter(tmp_path, rng, dim, labelling):
  n = 300
  codes = rng.normal(size=(n, dim))
  codes[0] = np.nan  # Dropped.
  labels = {
      "classes": rng.integers(0, 10, n),
      "unlabelled": -np.ones(n, np.int64),
      "none": None,
      "many": rng.integers(0, 25, n),
      "mixed": np.where(np.arange(n) < 50, -1, rng.integers(0, 3, n)),
  }[labelling]
  path = str(tmp_path / f"scatter_{dim}_{labelling}.png")
  assert figures.latent_scatter(codes, labels, path) == path
  _read_png(path)


def test_latent_scatter_rejects_mismatched_labels(tmp_path):
  with pytest.raises(ValueError):
    figures.latent_scatter(np.zeros((5, 2)), np.zeros(4),
                           str(tmp_path / "x.png"))


def _records():
  records = [{"step": s, "loss": 1.0 / (s + 1), "loss_rec": 0.5, "loss_kl":
              0.1, "loss_nan": float("nan"), "steps_per_sec": 30.0,
              "time": 2.0, "tag": "train"} for s in range(0, 200, 10)]
  records.insert(5, {"step": 40, "eval_loss": 0.7})
  records.append({"step": 200, "eval_loss": 0.4, "eval_elbo": -90.0})
  return records


def test_training_curves_lays_out_one_plot_per_finite_key(tmp_path):
  # Default keys: loss, loss_rec, loss_kl, eval_loss, eval_elbo (loss_nan and
  # the timing keys skipped) -> two rows of three plots.
  wide = _read_png(figures.training_curves(_records(),
                                           str(tmp_path / "all.png")))
  one = _read_png(figures.training_curves(
      _records(), str(tmp_path / "one.png"), keys=["loss", "loss_nan",
                                                   "missing"]))
  assert wide.shape[1] > 2.5 * one.shape[1]
  assert 1.6 * one.shape[0] < wide.shape[0] < 2.4 * one.shape[0]


def test_training_curves_without_finite_values_still_draws(tmp_path):
  path = figures.training_curves([{"step": 0, "loss": float("nan")}],
                                 str(tmp_path / "nan.png"))
  _read_png(path)


def test_training_curves_empty_raises(tmp_path):
  with pytest.raises(ValueError):
    figures.training_curves([], str(tmp_path / "empty.png"))
  assert not (tmp_path / "empty.png").exists()


def test_figures_are_deterministic(tmp_path, rng):
  codes, labels = rng.normal(size=(100, 4)), rng.integers(0, 5, 100)
  paths = [figures.latent_scatter(codes, labels, str(tmp_path / f"{i}.png"))
           for i in range(2)]
  with open(paths[0], "rb") as a, open(paths[1], "rb") as b:
    assert a.read() == b.read()


def test_failed_save_keeps_old_figure_and_leaves_no_temp(tmp_path, rng,
                                                         monkeypatch):
  path = str(tmp_path / "grid.png")
  figures.image_grid(rng.random((4, 8, 8, 1)), path)
  with open(path, "rb") as f:
    before = f.read()

  def broken_savefig(self, fname, **kwargs):
    with open(fname, "wb") as f:
      f.write(b"partial")
    raise OSError("disk full")

  monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken_savefig)
  with pytest.raises(OSError):
    figures.image_grid(rng.random((4, 8, 8, 1)), path)
  with open(path, "rb") as f:
    assert f.read() == before
  assert os.listdir(tmp_path) == ["grid.png"]


def test_importing_the_library_leaves_pyplots_backend_alone():
  """A notebook's inline backend survives `uj.run` (which imports every
  figure module); launch.py sets Agg for itself."""
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  code = ("import importlib, pkgutil, matplotlib\n"
          "matplotlib.use('svg')\n"
          "import unsup_jax.viz as v, unsup_jax.methods.registry\n"
          "for m in pkgutil.iter_modules(v.__path__):\n"
          "  importlib.import_module('unsup_jax.viz.' + m.name)\n"
          "print(matplotlib.get_backend())")
  env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
  out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                       text=True, env=env, check=True, timeout=120)
  assert out.stdout.strip() == "svg"
