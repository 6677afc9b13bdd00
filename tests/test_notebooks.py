"""The notebooks run top to bottom in a fresh Jupyter kernel (any failing
cell fails the test), on a few training steps; the tour's runs pass the
same checks as every other experiment's smoke run; and the notebooks are
committed without outputs."""

import os

import nbclient
import nbformat
import pytest

from tests.helpers import ROOT, TOUR_EXPERIMENTS, xla_flags
from tests.smoke_reports import check_smoke_report

NOTEBOOKS = ("build_a_vae.ipynb", "tour.ipynb")


def _path(name: str) -> str:
  return os.path.join(ROOT, "notebooks", name)


def _execute(name: str, cwd, **env) -> nbformat.NotebookNode:
  """Runs notebook `name` in a new kernel started in `cwd`, with the
  suite's XLA flags on one CPU device and figures drawn inline."""
  notebook = nbformat.read(_path(name), as_version=4)
  kernel_env = dict(os.environ, XLA_FLAGS=xla_flags(1), **env)
  kernel_env.pop("MPLBACKEND", None)
  client = nbclient.NotebookClient(
      notebook, timeout=900, kernel_name="python3",
      resources={"metadata": {"path": str(cwd)}})
  client.execute(env=kernel_env)
  return notebook


def _outputs(notebook, kind: str) -> list:
  return [o for c in notebook.cells if c.cell_type == "code"
          for o in c.get("outputs", []) if kind in o.get("data", {})]


def _printed(notebook) -> str:
  return "".join(o.get("text", "") for c in notebook.cells
                 if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs(name):
  notebook = nbformat.read(_path(name), as_version=4)
  nbformat.validate(notebook)
  code = [c for c in notebook.cells if c.cell_type == "code"]
  assert code and all(not c.outputs and c.execution_count is None
                      for c in code)


def test_build_a_vae_runs_top_to_bottom(tmp_path):
  notebook = _execute("build_a_vae.ipynb", tmp_path,
                      UNSUP_JAX_NOTEBOOK_STEPS="30")
  printed = _printed(notebook)
  assert "using the installed unsup_jax" in printed
  assert "all four agree with the library" in printed
  assert "test NLL (IWAE, k = " in printed
  # Data, curves, reconstructions, samples, code space, the library's
  # figures, beta's KL per unit and samples, the exercises' plots.
  assert len(_outputs(notebook, "image/png")) >= 12
  solutions = [c for c in notebook.cells if "solution" in
               c.metadata.get("tags", [])]
  assert len(solutions) == 3 and all(
      c.metadata["jupyter"]["source_hidden"] for c in solutions)


def test_tour_runs_every_family_and_its_runs_pass_the_smoke_checks(tmp_path):
  tour = tmp_path / "tour"
  notebook = _execute("tour.ipynb", tmp_path,
                      UNSUP_JAX_TOUR_WORKDIR=str(tour))
  assert len(TOUR_EXPERIMENTS) >= 14
  assert len(_outputs(notebook, "image/png")) == len(TOUR_EXPERIMENTS)
  for name in TOUR_EXPERIMENTS:
    check_smoke_report(name, str(tour / name))


def test_tour_cells_name_experiments_that_exist():
  from tests.helpers import EXPERIMENTS  # pylint: disable=g-import-not-at-top
  assert set(TOUR_EXPERIMENTS) <= set(EXPERIMENTS)
  assert len(set(TOUR_EXPERIMENTS)) == len(TOUR_EXPERIMENTS)
