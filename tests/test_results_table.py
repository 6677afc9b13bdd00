"""README's results table (`experiments/_results.py`, `make results`): one
row per default experiment, cells from the runs' results, README rewritten
only between its markers, bad input refused."""

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import EXPERIMENTS, ROOT
from tests.smoke_reports import RESULTS_TABLE as T


def test_every_default_experiment_has_one_row():
  rows = [r.experiment for r in T.ROWS]
  assert len(rows) == len(set(rows))
  needs_data = {n for n in EXPERIMENTS if n.endswith("_cifar10")}
  assert set(rows) == set(EXPERIMENTS) - needs_data
  for r in T.ROWS:   # a reference is a paper's number or the run's own
    assert not (r.reference and r.ref_key)
    assert bool(r.ref_key) == bool(r.ref_name)


def test_a_rows_overrides_are_its_shown_command_and_its_run():
  """A row run with config overrides shows them as typed in a shell, and
  the shell gives launch.py back the arguments the run is launched with."""
  import shlex  # pylint: disable=g-import-not-at-top
  row = next(r for r in T.ROWS if r.args)
  command = T.cells(row, None)[-1].strip("`")
  assert shlex.split(command)[2:] == list(row.args)
  assert any("'" in a for a in row.args)   # the quoted case is exercised


def _write(root, name, results):
  os.makedirs(root / name)
  (root / name / "results.json").write_text(json.dumps(results))


def _entry(values, seconds):
  return {"values": values, "seconds": seconds, "commit": "abc1234",
          "date": "2026-12-05"}


def test_cells_come_from_the_record():
  record = {"vae_mnist": _entry({"test_nll": 99.244}, 95.2),
            "tdvae_oscillator": _entry({"test_mse_tdvae_d1": 0.0123,
                                        "test_mse_kalman_d1": 0.0111}, 900)}
  text = T.table(record)
  lines = {l.split(" | ")[0][2:]: l for l in text.splitlines()
           if l.startswith("| ")}
  vae = lines["VAE"]
  assert "| 99.24 |" in vae and "86.76: Burda" in vae and "| 95 s |" in vae
  assert "`launch.py --config=experiments/vae_mnist.py`" in vae
  tdvae = next(l for l in text.splitlines() if "noisy oscillator" in l)
  assert "| 0.0123 |" in tdvae and "Kalman filter (optimal): 0.0111" in tdvae
  assert "| 15 min |" in tdvae
  dec = lines["DEC"]
  assert "not run yet" in dec and "84.3%: Xie" in dec
  assert f"2 of {len(T.ROWS)} runs recorded on 2026-12-05" in text
  assert "17 min of runs timed" in text   # 995 s


def test_a_finished_run_is_recorded_with_its_rows_values_only(tmp_path):
  root, record_path = tmp_path / "runs", tmp_path / "record.json"
  _write(root, "m2_mnist", {"test_accuracy": 0.9012, "test_elbo": -99.0})
  (root / "times.json").write_text(json.dumps({"m2_mnist": 61.26}))
  assert T.run(["m2_mnist"], str(root), str(record_path),
               progress=False) == []          # finished: not run again
  entry = json.loads(record_path.read_text())["m2_mnist"]
  assert entry["values"] == {"test_accuracy": 0.9012}
  assert entry["seconds"] == 61.3 and entry["commit"] and entry["date"]
  assert "| 90.1% | 88.0%: Kingma" in T.table(T.load_record(
      str(record_path)))


def _results_py(*args):
  return subprocess.run(
      [sys.executable, os.path.join(ROOT, "experiments", "_results.py"),
       *args], capture_output=True, text=True, timeout=60)


def test_recorded_runs_are_skipped_and_bad_records_refused(tmp_path):
  readme = tmp_path / "README.md"
  readme.write_text(f"{T.BEGIN}\nkept\n{T.END}\n")
  record = tmp_path / "record.json"
  record.write_text(json.dumps({"vae_mnist": _entry({"test_nll": 90.0},
                                                    60.0)}))
  args = [f"--root={tmp_path / 'runs'}", f"--readme={readme}",
          f"--record={record}", "--progress=false"]
  out = _results_py("--only=vae_mnist", *args)
  assert out.returncode == 0, out.stderr
  assert not os.path.exists(tmp_path / "runs" / "vae_mnist")   # not run
  assert "| 90.00 |" in readme.read_text()
  written = readme.read_text()
  for bad in ("not json", json.dumps({"no_such_run": {}})):
    record.write_text(bad)
    out = _results_py("--only=vae_mnist", *args)
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1
    assert str(record) in out.stderr
    assert record.read_text() == bad and readme.read_text() == written


def test_readme_is_rewritten_between_its_markers_only(tmp_path):
  readme = tmp_path / "README.md"
  readme.write_text(f"# title\n\nbefore\n{T.BEGIN}\nold table\n{T.END}\n"
                    "after\n")
  T.write_readme(str(readme), "| new |")
  assert readme.read_text() == (f"# title\n\nbefore\n{T.BEGIN}\n| new |\n"
                                f"{T.END}\nafter\n")
  T.write_readme(str(readme), "| newer |")   # again: still one table
  assert readme.read_text().count("| new") == 1
  unmarked = tmp_path / "OTHER.md"
  unmarked.write_text("no markers\n")
  with pytest.raises(ValueError, match="needs one"):
    T.write_readme(str(unmarked), "| new |")
  assert unmarked.read_text() == "no markers\n"


def test_the_project_readme_has_the_markers_once():
  text = open(os.path.join(ROOT, "README.md")).read()
  assert text.count(T.BEGIN) == 1 and text.count(T.END) == 1
  assert text.index(T.BEGIN) < text.index(T.END)


def test_unknown_experiment_is_refused_and_readme_kept(tmp_path):
  readme = tmp_path / "README.md"
  readme.write_text(f"{T.BEGIN}\nkept\n{T.END}\n")
  out = _results_py("--only=vae_mnist,no_such_run", f"--root={tmp_path}",
                    f"--readme={readme}")
  assert out.returncode == 2
  assert "no_such_run" in out.stderr and len(out.stderr.splitlines()) == 1
  assert readme.read_text() == f"{T.BEGIN}\nkept\n{T.END}\n"


def test_a_readme_that_cannot_take_the_table_is_refused_before_any_run(
    tmp_path):
  unmarked = tmp_path / "unmarked.md"
  unmarked.write_text("no markers\n")
  for readme in (tmp_path / "missing.md", unmarked):
    out = _results_py("--only=vae_mnist", f"--root={tmp_path / 'runs'}",
                      f"--readme={readme}", f"--record={tmp_path / 'r.json'}")
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1
    assert str(readme) in out.stderr
    assert not os.path.exists(tmp_path / "runs")   # nothing was run
    assert not os.path.exists(tmp_path / "r.json")


def test_table_only_rewrites_from_the_record(tmp_path):
  record = tmp_path / "record.json"
  record.write_text(json.dumps({"m2_mnist": _entry({"test_accuracy": 0.9012},
                                                   61.0)}))
  readme = tmp_path / "README.md"
  readme.write_text(f"a\n{T.BEGIN}\n{T.END}\nb\n")
  out = _results_py("--table", f"--root={tmp_path}", f"--readme={readme}",
                    f"--record={record}")
  assert out.returncode == 0, out.stderr
  text = readme.read_text()
  assert text.startswith(f"a\n{T.BEGIN}\n| method |") and text.endswith(
      f"{T.END}\nb\n")
  assert "| 90.1% | 88.0%: Kingma" in text
  assert not os.path.exists(tmp_path / "m2_mnist")


def test_the_readme_table_is_the_records():
  """README's table is what `make results` wrote from the committed record
  (no hand edits, no row measured but left out)."""
  text = open(os.path.join(ROOT, "README.md")).read()
  table = text.split(T.BEGIN + "\n")[1].split("\n" + T.END)[0]
  assert table == T.table(T.load_record(T.RECORD))
