"""Tests for `unsup_jax.viz.gan`'s sample grids."""

import numpy as np
import pytest

from unsup_jax.viz import figures
from unsup_jax.viz import gan as gan_viz


@pytest.mark.parametrize("n, used, ncols", [(64, 64, 8), (60, 60, 10),
                                            (13, 12, 4)])
def test_ema_and_raw_fill_every_tile_alike(tmp_path, monkeypatch, n, used,
                                           ncols):
  calls, real = [], figures.make_mosaic

  def recording(images, cols, pad=1):
    calls.append((images.copy(), cols))
    return real(images, cols, pad)
  monkeypatch.setattr(figures, "make_mosaic", recording)
  rng = np.random.default_rng(0)
  ema, raw = rng.random((2, n, 6, 6, 1))
  path = str(tmp_path / "ema.png")
  assert gan_viz.ema_and_raw(ema, raw, path) == path
  assert [(len(x), c) for x, c in calls] == [(used, ncols)] * 2
  # The same noise in the same place: the first `used` of each, in order.
  np.testing.assert_array_equal(calls[0][0], ema[:used].astype(np.float32))
  np.testing.assert_array_equal(calls[1][0], raw[:used].astype(np.float32))


def test_ema_and_raw_rejects_different_shapes(tmp_path):
  with pytest.raises(ValueError):
    gan_viz.ema_and_raw(np.zeros((8, 6, 6, 1)), np.zeros((9, 6, 6, 1)),
                        str(tmp_path / "x.png"))
