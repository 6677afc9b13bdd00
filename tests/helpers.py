"""Helpers shared by the tests (imported explicitly, not through conftest)."""

import contextlib
import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np

from unsup_jax import errors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENTS = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "experiments"))
                     if f.endswith(".py") and not f.startswith("_"))


def _tour_experiments() -> tuple[str, ...]:
  """The experiments `notebooks/tour.ipynb` runs: its `tour("NAME", ...)`
  cells."""
  with open(os.path.join(ROOT, "notebooks", "tour.ipynb")) as f:
    cells = json.load(f)["cells"]
  code = "\n".join("".join(c["source"]) for c in cells
                   if c["cell_type"] == "code")
  return tuple(re.findall(r'^tour\("(\w+)"', code, re.M))


TOUR_EXPERIMENTS = _tour_experiments()


def load_config(name: str, arg: str | None = "smoke"):
  """`experiments/NAME.py`'s get_config(arg) (the smoke variant by default)."""
  path = os.path.join(ROOT, "experiments", f"{name}.py")
  spec = importlib.util.spec_from_file_location(f"experiments.{name}", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(arg)


@contextlib.contextmanager
def optimized():
  """Programs compiled inside are optimised by XLA (the suite's are not,
  `conftest.py`): for tests and fixtures that run hundreds of steps."""
  import jax  # pylint: disable=g-import-not-at-top
  jax.config.update("jax_disable_most_optimizations", False)
  try:
    yield
  finally:
    jax.config.update("jax_disable_most_optimizations", True)


def xla_flags(devices: int) -> str:
  """The suite's XLA flags (`conftest.py`) with `devices` fake CPUs, for
  subprocesses."""
  kept = [f for f in os.environ.get("XLA_FLAGS", "").split()
          if not f.startswith("--xla_force_host_platform_device_count")]
  return " ".join(kept + [f"--xla_force_host_platform_device_count={devices}"])


def launch(*args: str, devices: int = 1, timeout: float = 300,
           env: dict | None = None) -> subprocess.CompletedProcess:
  """Runs `python launch.py ARGS` in a fresh process with `devices` CPUs."""
  full_env = dict(os.environ, XLA_FLAGS=xla_flags(devices), **(env or {}))
  return subprocess.run([sys.executable, os.path.join(ROOT, "launch.py"),
                         "--progress=false", *args], cwd=ROOT, env=full_env,
                        capture_output=True, text=True, timeout=timeout)


def build(config, workdir=None):
  """(method, data) of a config, as `launch.py` resolves them."""
  from unsup_jax.data import loader  # pylint: disable=g-import-not-at-top
  from unsup_jax.methods import registry  # pylint: disable=g-import-not-at-top
  data = loader.load(config, workdir)
  return registry.build(config, data.spec(), workdir), data


def run(config, workdir, **kwargs) -> dict:
  """`training.run.run` of a config in `workdir` (what `launch.py` does)."""
  from unsup_jax.training import run as run_lib  # pylint: disable=g-import-not-at-top
  method, data = build(config, workdir)
  return run_lib.run(config, method, data, workdir,
                     **dict(dict(progress=False), **kwargs))


def load_state(config, workdir):
  """The latest checkpointed state of the run of `config` in `workdir`."""
  from unsup_jax.training import run as run_lib  # pylint: disable=g-import-not-at-top
  method, data = build(config, workdir)
  return run_lib.load_state(config, method, data, workdir)


def first_batches(config, n: int, stream: str = "train"):
  """The first n batches of a stream of `config`'s data, with the step
  transform of each step applied as the step sees it."""
  from unsup_jax.data import loader  # pylint: disable=g-import-not-at-top
  data = loader.load(config)
  it = data.iterator(stream)
  out = []
  for i in range(n):
    batch = it.batch_at(i)
    if data.transform is not None:
      batch = {k: np.asarray(v) for k, v in data.transform(
          data.stream_index(stream), batch, i, 0).items()}
    out.append(batch)
  return out


class Engine:
  """The bare compiled step `(state, batch) -> (state, metrics)` of one mode
  ("jit", "pmap" or "mesh"), with the moves in and out (the training loop
  compiles its own program around the same step): for tests and
  benchmarks."""

  def __init__(self, train_step, mode: str):
    from unsup_jax.training import parallel  # pylint: disable=g-import-not-at-top
    self.mode = mode
    self.placement = parallel.Placement(mode)
    self.step = self.placement.compile(
        lambda state, batch, *, axis_name: train_step(
            state, batch, axis_name=axis_name))

  def put_state(self, state):
    return self.placement.put_state(state)

  def get_state(self, state):
    return self.placement.get(state)

  def put_batch(self, batch: dict) -> dict:
    return self.placement.put_batch(batch)

  def get_metrics(self, metrics: dict) -> dict:
    """Host floats (identical on every device after pmean)."""
    return {k: float(v) for k, v in self.placement.get(metrics).items()}


def pmap_and_jit_states(step, state, batches, *, metric_atol=1e-5,
                        modes=("pmap",)):
  """Runs `batches` through the jit step and through the step in each of
  `modes` (all local devices) from `state`, checks every metric agrees at
  each step, and returns the final host states `(jit_state, *others)`."""
  engines = [Engine(step, m) for m in ("jit",) + tuple(modes)]
  states = [e.put_state(state) for e in engines]
  for batch in batches:
    metrics = []
    for i, e in enumerate(engines):
      states[i], m = e.step(states[i], e.put_batch(batch))
      metrics.append(e.get_metrics(m))
    for other in metrics[1:]:
      for k in metrics[0]:
        np.testing.assert_allclose(other[k], metrics[0][k], rtol=2e-5,
                                   atol=metric_atol, err_msg=k)
  return tuple(e.get_state(s) for e, s in zip(engines, states))


def step_of(method, index: int = 0):
  """The step function of the method's `index`-th step phase."""
  from unsup_jax.training.contract import step_phases  # pylint: disable=g-import-not-at-top
  return step_phases(method)[index].step


def image_spec(image_shape, num_classes: int = 10):
  """A `Spec` of image batches of `image_shape` (for methods built without
  loading data)."""
  from unsup_jax.data.dataset import Feature, Spec  # pylint: disable=g-import-not-at-top
  return Spec({"train": {"image": Feature(tuple(image_shape), "float32"),
                         "label": Feature((), "int32")}},
              {"num_classes": num_classes}, "images")


def assert_resumes_exactly(config, tmp_path, stop_after: int):
  """Runs `config` once uninterrupted and once stopped after `stop_after`
  steps then resumed, and checks that both end with the same parameters,
  optimiser state and results (timings aside). Returns `(results, workdir
  of the uninterrupted run)`."""
  import chex  # pylint: disable=g-import-not-at-top
  import pytest  # pylint: disable=g-import-not-at-top
  whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
  results = run(config, whole)
  with pytest.raises(errors.Interrupted):
    run(config, parts, stop_after=stop_after)
  resumed = run(config, parts)
  a, b = load_state(config, whole), load_state(config, parts)
  chex.assert_trees_all_equal(a.params, b.params)
  chex.assert_trees_all_equal(a.opt_state, b.opt_state)
  timing = lambda r: {k: v for k, v in r.items() if "seconds" not in k}
  assert timing(resumed) == timing(results)
  return results, whole


def read_vectors_tsv(text: str) -> np.ndarray:
  """The `[V, D]` float32 array of a projector vectors TSV
  (`viz.projector.vectors_tsv`), read independently of the writer."""
  lines = text.split("\n")
  if lines and not lines[-1]:
    lines.pop()
  rows = [line.split("\t") for line in lines]
  widths = {len(r) for r in rows}
  if len(widths) > 1:
    raise ValueError(f"vectors TSV rows have different lengths {widths}")
  if not rows:
    return np.zeros((0, 0), np.float32)
  return np.asarray(rows, dtype=np.float64).astype(np.float32)


def read_metadata_tsv(text: str):
  """`(words, counts [V] int64)` of a projector metadata TSV
  (`viz.projector.metadata_tsv`), its escapes undone."""
  unescapes = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
  lines = text.split("\n")
  if lines and not lines[-1]:
    lines.pop()
  if not lines or lines[0] != "word\tfrequency":
    raise ValueError("metadata TSV must start with its header")
  words, counts = [], []
  for line in lines[1:]:
    word, count = line.split("\t")
    words.append(re.sub(r"\\(.)", lambda m: unescapes.get(m.group(1),
                                                          m.group()), word))
    counts.append(int(count))
  return words, np.asarray(counts, dtype=np.int64)
