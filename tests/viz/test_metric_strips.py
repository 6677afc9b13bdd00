"""Tests for `unsup_jax.viz.disentanglement.metric_strips`."""

import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np

from unsup_jax.viz import disentanglement
from unsup_jax.viz import figures


def _bar_colours(monkeypatch, tmp_path, values):
  """Draws `values`; returns `[{method: bar colour}]`, one dict per panel."""
  drawn, save = [], figures.save_figure

  def keep(fig, path):
    drawn.append(fig)
    return save(fig, path)

  monkeypatch.setattr(disentanglement.viz, "save_figure", keep)
  path = disentanglement.metric_strips(values, tmp_path / "strips.png")
  assert (tmp_path / "strips.png").stat().st_size > 1000 and path
  panels = []
  for ax, metric in zip(drawn[0].axes, values):
    bars = ax.patches
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == list(values[metric])
    panels.append({m: matplotlib.colors.to_hex(b.get_facecolor(),
                                               keep_alpha=False)
                   for m, b in zip(labels, bars)})
  return panels


def test_bars_are_the_means_and_a_method_keeps_its_colour_across_panels(
    monkeypatch, tmp_path):
  # The second panel lacks "b", as the clustering study's test scores lack
  # the rows that have no test split: "c" must not take "b"'s colour there.
  values = {"train": {"a": [0.1, 0.3], "b": [0.5, 0.7], "c": [0.2, 0.4]},
            "test": {"a": [0.2, 0.2], "c": [0.9, 0.5]}}
  train, test = _bar_colours(monkeypatch, tmp_path, values)
  assert test == {m: train[m] for m in test}
  assert len(set(train.values())) == 3


def test_bar_heights_are_the_seed_means(monkeypatch, tmp_path):
  drawn = []
  monkeypatch.setattr(disentanglement.viz, "save_figure",
                      lambda fig, path: drawn.append(fig) or path)
  values = {"mig": {"x": [0.1, 0.2, 0.6], "y": [0.4]}}
  disentanglement.metric_strips(values, tmp_path / "s.png")
  heights = [b.get_height() for b in drawn[0].axes[0].patches]
  plt.close(drawn[0])
  np.testing.assert_allclose(heights, [0.3, 0.4])
