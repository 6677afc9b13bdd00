"""Tests for `unsup_jax.viz.report`."""

import json
import math
import os
import re

import ml_collections
import numpy as np
import pytest

from unsup_jax.viz import report


def _config():
  config = ml_collections.ConfigDict()
  config.method = "vae"
  config.data = ml_collections.ConfigDict({"name": "mnist", "batch_size": 64})
  config.learning_rate = 1e-3
  return config


def _results():
  return {"test_elbo": np.float32(-91.234567), "num_steps": np.int64(5000),
          "fid": 12.0, "bits_per_dim": 1.23456789, "diverged": float("nan")}


def _table_rows(text):
  """Returns the cells of the "## Results" table, checking its structure."""
  section = text.split("## Results\n", 1)[1].split("\n## ", 1)[0]
  lines = [line for line in section.splitlines() if line.startswith("|")]
  cells = [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
           for line in lines]
  assert cells[0] == ["metric", "value"]
  assert all(re.fullmatch(r":?-{3,}:?", c) for c in cells[1])
  assert all(len(row) == 2 for row in cells)
  return cells[2:]


def _write(workdir, **overrides):
  figures_dir = os.path.join(workdir, "figures")
  kwargs = dict(
      title="VAE on MNIST", config=_config(), results=_results(),
      figures={"Reconstructions": os.path.join(figures_dir, "recons.png"),
               "Training curves": os.path.join(figures_dir, "curves.png")},
      notes=["Posterior collapse in 3 of 16 dims.", "- item *one*"])
  kwargs.update(overrides)
  return report.write_report(workdir, **kwargs)


def test_report_sections_table_and_links(tmp_path):
  path = _write(str(tmp_path))
  assert path == str(tmp_path / "report.md")
  with open(path, encoding="utf-8") as f:
    text = f.read()
  assert text.startswith("# VAE on MNIST\n")
  summary = text.splitlines()[2]
  assert "vae" in summary and "mnist" in summary
  assert re.search(r"\d{4}-\d{2}-\d{2}", text) is None  # No dates.
  rows = _table_rows(text)
  assert rows == [["bits_per_dim", "1.235"], ["diverged", "nan"],
                  ["fid", "12"], ["num_steps", "5000"],
                  ["test_elbo", "-91.23"]]
  assert "### Reconstructions\n\n![Reconstructions](figures/recons.png)" in text
  assert "### Training curves\n\n![Training curves](figures/curves.png)" in text
  order = [text.index(h) for h in ("## Results", "## Figures", "## Config",
                                   "## Notes")]
  assert order == sorted(order)
  assert text.rstrip().endswith("- item *one*")
  assert "Posterior collapse in 3 of 16 dims." in text


def test_report_config_block_is_indented_json(tmp_path):
  with open(_write(str(tmp_path)), encoding="utf-8") as f:
    text = f.read()
  block = re.search(r"## Config\n\n```json\n(.*?)\n```\n", text, re.S)
  assert block is not None
  assert json.loads(block.group(1)) == _config().to_dict()
  assert '\n  "method": "vae"' in block.group(1)


def test_report_with_plain_dict_config_and_no_figures(tmp_path):
  path = _write(str(tmp_path), config={"method": "pca", "dataset": "cifar10",
                                       "k": 8},
                figures={}, results={}, notes=None)
  with open(path, encoding="utf-8") as f:
    text = f.read()
  assert "pca" in text.splitlines()[2] and "cifar10" in text.splitlines()[2]
  assert '"k": 8' in text
  assert "## Notes" not in text


def test_report_escapes_pipes_in_metric_names(tmp_path):
  path = _write(str(tmp_path), results={"a|b": 1, "c": 2.5})
  with open(path, encoding="utf-8") as f:
    assert _table_rows(f.read()) == [["a\\|b", "1"], ["c", "2.5"]]


def test_report_links_relative_paths(tmp_path, monkeypatch):
  workdir = tmp_path / "runs" / "exp1"
  (workdir / "figs").mkdir(parents=True)
  (workdir / "figs" / "a.png").write_bytes(b"png")
  monkeypatch.chdir(tmp_path)
  figures = {"cwd-relative": "runs/exp1/figs/a.png",  # As figure fns return.
             "workdir-relative": "figs/b.png",
             "absolute": str(workdir / "figs" / "c d.png")}
  path = _write("runs/exp1", figures=figures)
  with open(path, encoding="utf-8") as f:
    text = f.read()
  assert "![cwd-relative](figs/a.png)" in text
  assert "![workdir-relative](figs/b.png)" in text
  assert "![absolute](<figs/c d.png>)" in text


def test_report_rejects_nested_results(tmp_path):
  with pytest.raises(ValueError):
    _write(str(tmp_path), results={"eval": {"loss": 1.0}})
  assert not os.listdir(tmp_path)


def test_rewriting_report_replaces_it_without_temp_files(tmp_path):
  _write(str(tmp_path), title="First")
  path = _write(str(tmp_path), title="Second", results={"only": 1})
  with open(path, encoding="utf-8") as f:
    text = f.read()
  assert text.startswith("# Second\n") and "First" not in text
  assert _table_rows(text) == [["only", "1"]]
  assert os.listdir(tmp_path) == ["report.md"]


def test_results_json_round_trips_numbers_only(tmp_path):
  results = {"loss": np.float32(0.1), "steps": np.int64(7), "acc": 0.875,
             "flag": True, "0d": np.array(2.5), "nan": float("nan"),
             "inf": np.float64("-inf")}
  path = report.write_results(str(tmp_path), results)
  assert path == str(tmp_path / "results.json")

  def no_constants(name):
    raise AssertionError(f"non-standard JSON constant {name}")

  with open(path, encoding="utf-8") as f:
    text = f.read()
  loaded = json.loads(text, parse_constant=no_constants)
  assert list(loaded) == sorted(results)
  assert loaded == {"loss": 0.1, "steps": 7, "acc": 0.875, "flag": 1,
                    "0d": 2.5, "nan": None, "inf": None}
  for value in loaded.values():
    assert value is None or (isinstance(value, (int, float)) and
                             not isinstance(value, bool) and
                             math.isfinite(value))
  assert isinstance(loaded["steps"], int)


@pytest.mark.parametrize("bad", [{"a": {"b": 1}}, {"a": [1, 2]},
                                 {"a": np.zeros(3)}, {"a": "text"}, {3: 1.0},
                                 [("a", 1.0)]])
def test_results_json_rejects_non_flat(tmp_path, bad):
  with pytest.raises(ValueError):
    report.write_results(str(tmp_path), bad)
  assert not os.listdir(tmp_path)


def test_rewriting_results_replaces_them(tmp_path):
  report.write_results(str(tmp_path), {"a": 1.0, "b": 2.0})
  report.write_results(str(tmp_path), {"c": 3})
  with open(tmp_path / "results.json", encoding="utf-8") as f:
    assert json.load(f) == {"c": 3}
  assert os.listdir(tmp_path) == ["results.json"]
