"""Tests for `unsup_jax.viz.gan_ablation`: the FID curves end at the
study's final evaluation."""

import numpy as np

from unsup_jax.viz import figures
from unsup_jax.viz import gan_ablation as viz


def _plotted(monkeypatch, *args, **kwargs):
  """`{label: (steps, mean FID)}` of the lines `fid_curves` draws."""
  drawn, save = {}, figures.save_figure

  def capture(fig, path):
    for line in fig.axes[0].get_lines():
      if not line.get_label().startswith(("_", "floor")):
        drawn[line.get_label()] = (list(line.get_xdata()),
                                   list(line.get_ydata()))
    return save(fig, path)

  monkeypatch.setattr(viz.viz, "save_figure", capture)
  viz.fid_curves(*args, **kwargs)
  return drawn


def test_fid_curves_end_at_the_final_evaluation(tmp_path, monkeypatch):
  logs = lambda a, b: [{"step": 200, "eval_fid": a}, {"step": 5, "loss": 1.0},
                       {"step": 400, "eval_fid": b}]
  curves = {"plain": [logs(600.0, 400.0), logs(800.0, 200.0)],
            "r1": [logs(300.0, 100.0), logs(500.0, 300.0)]}
  final = {"plain": [150.0, 250.0], "r1": [90.0, 110.0]}
  path = str(tmp_path / "fid_curves.png")
  drawn = _plotted(monkeypatch, curves, path, floor=10.0, final=final,
                   final_step=800)
  assert drawn["plain"][0] == [200, 400, 800]
  np.testing.assert_allclose(drawn["plain"][1], [700.0, 300.0, 200.0])
  np.testing.assert_allclose(drawn["r1"][1], [400.0, 200.0, 100.0])
  # Without the final scores the curves stop at the last logged evaluation.
  drawn = _plotted(monkeypatch, curves, path, floor=10.0)
  assert drawn["r1"][0] == [200, 400]
