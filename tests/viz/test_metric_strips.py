"""Tests for `unsup_jax.viz.disentanglement.metric_strips`."""

import matplotlib.colors
import numpy as np

from unsup_jax.viz import disentanglement
from unsup_jax.viz import figures


def _draw(monkeypatch, tmp_path, values):
  """Draws and saves `values`; returns the figure that was saved."""
  drawn, save = [], figures.save_figure
  monkeypatch.setattr(disentanglement.viz, "save_figure",
                      lambda fig, path: drawn.append(fig) or save(fig, path))
  disentanglement.metric_strips(values, tmp_path / "strips.png")
  assert (tmp_path / "strips.png").stat().st_size > 1000
  return drawn[0]


def test_a_method_keeps_its_colour_across_panels(monkeypatch, tmp_path):
  # The second panel lacks "b", as the clustering study's test scores lack
  # the rows that have no test split: "c" must not take "b"'s colour there.
  values = {"train": {"a": [0.1, 0.3], "b": [0.5, 0.7], "c": [0.2, 0.4]},
            "test": {"a": [0.2, 0.2], "c": [0.9, 0.5]}}
  panels = []
  for ax, metric in zip(_draw(monkeypatch, tmp_path, values).axes, values):
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == list(values[metric])
    panels.append({m: matplotlib.colors.to_hex(b.get_facecolor(),
                                               keep_alpha=False)
                   for m, b in zip(labels, ax.patches)})
  train, test = panels
  assert test == {m: train[m] for m in test}
  assert len(set(train.values())) == 3


def test_bar_heights_are_the_seed_means(monkeypatch, tmp_path):
  values = {"mig": {"x": [0.1, 0.2, 0.6], "y": [0.4]}}
  ax = _draw(monkeypatch, tmp_path, values).axes[0]
  np.testing.assert_allclose([b.get_height() for b in ax.patches],
                             [0.3, 0.4])
