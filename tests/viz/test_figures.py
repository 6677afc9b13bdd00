"""Tests for `unsup_jax.viz.figures`."""

import math
import os

import matplotlib.figure
import matplotlib.image
import matplotlib.pyplot
import numpy as np
import pytest
from sklearn.decomposition import PCA

from unsup_jax.viz import curves, figures


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


@pytest.mark.parametrize("n, shape", [
    (1, (1, 1)), (3, (1, 3)), (4, (2, 2)), (7, (1, 7)), (9, (3, 3)),
    (10, (2, 5)), (12, (3, 4)), (16, (4, 4)), (36, (6, 6)), (49, (7, 7)),
    (60, (6, 10)), (64, (8, 8)), (99, (11, 9)), (100, (10, 10)),
    (200, (20, 10)),
    # No column count from ceil(2/3 * side) to 10 divides n: trimmed.
    (11, (2, 5)), (13, (3, 4)), (22, (3, 7)), (26, (5, 5)), (97, (12, 8))])
def test_grid_shape_picks_full_near_square_grids(n, shape):
  assert figures.grid_shape(n) == shape


def test_grid_shape_respects_max_cols_and_trims_less_than_a_row():
  assert figures.grid_shape(64, max_cols=4) == (16, 4)
  assert figures.grid_shape(6, max_cols=1) == (6, 1)
  for n in range(1, 401):
    rows, cols = figures.grid_shape(n)
    assert 1 <= cols <= 10 and rows >= 1
    assert n - cols < rows * cols <= n, n
    side = min(10, math.ceil(math.sqrt(n)))
    divides = [c for c in range(math.ceil(2 * side / 3), min(10, n) + 1)
               if n % c == 0]
    assert (rows * cols == n) == bool(divides), n
  for bad in ((0, 10), (5, 0)):
    with pytest.raises(ValueError):
      figures.grid_shape(*bad)


def _record_mosaics(monkeypatch):
  """Wraps `figures.make_mosaic`; returns the list of its (N, ncols)."""
  calls, real = [], figures.make_mosaic

  def recording(images, ncols, pad=1):
    calls.append((len(images), ncols))
    return real(images, ncols, pad)
  monkeypatch.setattr(figures, "make_mosaic", recording)
  return calls


@pytest.mark.parametrize("n, used, ncols", [(64, 64, 8), (60, 60, 10),
                                            (100, 100, 10), (13, 12, 4)])
def test_samples_fill_every_tile(tmp_path, rng, monkeypatch, n, used, ncols):
  calls = _record_mosaics(monkeypatch)
  images = rng.random((n, 6, 6, 1))
  _read_png(figures.samples(images, str(tmp_path / "s.png")))
  assert calls == [(used, ncols)]


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


def test_curve_panels_pairs_twins_and_sets_constants_aside():
  records = [
      {"step": 0, "loss": 2.0, "beta": 1.0, "nonfinite_total": 0, "kl": 0.5,
       "steps_per_sec": 3.0, "time": 1.0, "tag": "x", "done": True},
      {"step": 10, "loss": 1.0, "beta": 1.0, "nonfinite_total": 0, "kl": 0.4},
      {"step": 10, "eval_loss": 1.5, "eval_nll": 99.0},
      {"step": 20, "loss": 0.5, "beta": 1.0, "nonfinite_total": 0, "kl": 0.4},
      {"step": 20, "eval_loss": 1.2, "eval_nll": 98.0, "eval_kl": 7.0}]
  panels, constants = curves.curve_panels(records)
  assert list(panels.items()) == [("loss", ["loss", "eval_loss"]),
                                  ("kl", ["kl", "eval_kl"]),
                                  ("eval_nll", ["eval_nll"])]
  assert list(constants.items()) == [("beta", 1.0), ("nonfinite_total", 0.0)]


def test_curve_panels_constant_series():
  nan, inf = float("nan"), float("inf")
  records = [{"step": s, "a": 3.0, "b": 3.0 if s != 2 else 3.5,
              "c": 4.0 if s % 2 else nan, "d": nan, "e": inf if s else 1.0,
              "eval_a": 2.0, "f": 5.0 - s, "eval_f": 6.0 if s == 3 else nan}
             for s in range(5)]
  panels, constants = curves.curve_panels(records)
  # b changes at one step only: it varies. Non-finite values are skipped
  # (c, e are constant); d has no finite value at all. a and its twin are
  # both constant; eval_f (one value) is drawn beside f, which varies.
  assert list(panels.items()) == [("b", ["b"]), ("f", ["f", "eval_f"])]
  assert list(constants.items()) == [("a", 3.0), ("c", 4.0), ("e", 1.0),
                                     ("eval_a", 2.0)]


def test_curve_panels_order_and_keys():
  records = [{"step": 0, "eval_x": 1.0, "y": 1.0},
             {"step": 1, "x": 2.0, "y": 2.0, "eval_x": 0.0},
             {"step": 2, "x": 3.0, "y": 1.5, "z": 0.0},
             {"step": 3, "z": 1.0, "eval_z": 9.0, "eval_z2": 8.0},
             {"eval_z2": 7.0}]  # no step: its list position, 4
  panels, constants = curves.curve_panels(records)
  # A panel sits where the first of its keys appears; train before eval.
  assert list(panels.items()) == [("x", ["x", "eval_x"]), ("y", ["y"]),
                                  ("z", ["z", "eval_z"]),
                                  ("eval_z2", ["eval_z2"])]
  assert constants == {}
  # Only the given keys, in their order: eval_x without x is alone.
  panels, constants = curves.curve_panels(
      records, keys=["y", "eval_x", "missing", "eval_z", "y"])
  assert list(panels.items()) == [("y", ["y"]), ("eval_x", ["eval_x"])]
  assert constants == {"eval_z": 9.0}


def _drawn_curves(monkeypatch, records, **kwargs):
  """Draws `training_curves(records)` and returns what its figure shows:
  ({panel title: {line label: [T, 2] points}}, [its texts, the title
  first, line breaks as spaces])."""
  shown = {}

  def capture(fig, path):
    for ax in fig.axes:
      if ax.axison:
        shown[ax.get_title()] = {line.get_label(): np.asarray(line.get_xydata())
                                 for line in ax.get_lines()}
    shown["texts"] = [" ".join(t.get_text().split()) for t in fig.texts +
                      [t for ax in fig.axes for t in ax.texts]]
    matplotlib.pyplot.close(fig)
    return path
  monkeypatch.setattr(curves, "save_figure", capture)
  curves.training_curves(records, "unused.png", **kwargs)
  texts = shown.pop("texts")
  return shown, texts


def test_training_curves_draws_twins_in_one_panel(monkeypatch):
  panels, texts = _drawn_curves(monkeypatch, _records())
  assert list(panels) == ["loss"]
  assert sorted(panels["loss"]) == ["eval", "train"]
  train = panels["loss"]["train"]
  np.testing.assert_allclose(train[:, 0], np.arange(0, 200, 10))
  np.testing.assert_allclose(train[:, 1], 1.0 / (train[:, 0] + 1))
  np.testing.assert_allclose(panels["loss"]["eval"], [[40, 0.7], [200, 0.4]])
  assert ("not plotted, one value throughout: loss_rec = 0.5, loss_kl = 0.1, "
          "eval_elbo = -90") in texts
  # Given keys only; nothing constant, so no note.
  panels, texts = _drawn_curves(monkeypatch, _records(),
                                keys=["loss", "loss_nan", "missing"])
  assert list(panels) == ["loss"] and list(panels["loss"]) == ["train"]
  assert not any("not plotted" in t for t in texts)


def test_training_curves_lays_out_one_plot_per_panel(tmp_path):
  records = [dict(r, loss_rec=r["step"] * 0.1, loss_kl=r["step"] * 0.2)
             if "loss" in r else r for r in _records()]
  # Panels: loss (train and eval), loss_rec, loss_kl, eval_elbo has one
  # value (noted) -> one row of three plots.
  wide = _read_png(curves.training_curves(records,
                                           str(tmp_path / "all.png")))
  one = _read_png(curves.training_curves(
      records, str(tmp_path / "one.png"), keys=["loss"]))
  assert wide.shape[1] > 2.5 * one.shape[1]
  assert 0.8 * one.shape[0] < wide.shape[0] < 1.4 * one.shape[0]


def test_training_curves_says_when_nothing_varies(monkeypatch):
  panels, texts = _drawn_curves(monkeypatch, [{"loss": 1.0}, {"loss": 1.0}])
  assert panels == {}
  assert "no metric varies" in texts
  assert "not plotted, one value throughout: loss = 1" in texts
  panels, texts = _drawn_curves(monkeypatch, [{"step": 0,
                                               "loss": float("nan")}])
  assert panels == {}
  assert texts == ["Training curves", "no finite metric values"]


def test_training_curves_without_finite_values_still_draws(tmp_path):
  path = curves.training_curves([{"step": 0, "loss": float("nan")}],
                                 str(tmp_path / "nan.png"))
  _read_png(path)


def test_training_curves_empty_raises(tmp_path):
  with pytest.raises(ValueError):
    curves.training_curves([], str(tmp_path / "empty.png"))
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
