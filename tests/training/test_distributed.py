"""2-process jax.distributed runs on CPU (gloo), with pmap and with the
sharded jit over a mesh, match a 1-process run; SIGTERM saves a checkpoint
that a restart resumes from."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import chex
import numpy as np
import pytest

from tests.helpers import ROOT, launch, load_config, load_state, xla_flags

SMOKE = "--config=experiments/vae_mnist.py:smoke"
NO_PROBES = "--config.vae.probe_labels=()"   # the probes are tested elsewhere


def _free_port():
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


def _two_processes(workdir, mode):
  port = _free_port()
  env = dict(os.environ, XLA_FLAGS=xla_flags(1))
  procs = [subprocess.Popen(
      [sys.executable, os.path.join(ROOT, "launch.py"), SMOKE, NO_PROBES,
       f"--workdir={workdir}", "--progress=false", f"--parallel={mode}",
       f"--coordinator_address=localhost:{port}", "--num_processes=2",
       f"--process_id={i}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
      stderr=subprocess.PIPE, text=True) for i in range(2)]
  outs = [p.communicate(timeout=300) for p in procs]
  for p, (_, err) in zip(procs, outs):
    assert p.returncode == 0, err[-3000:]
  assert "report:" in outs[0][0]


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("one"))
  proc = launch(SMOKE, NO_PROBES, f"--workdir={workdir}", "--parallel=jit")
  assert proc.returncode == 0, proc.stderr[-3000:]
  return workdir


@pytest.mark.parametrize("mode", ["pmap", "mesh"])
def test_two_processes_match_one(one_process, mode, tmp_path):
  two = str(tmp_path / "two")
  _two_processes(two, mode)
  config = load_config("vae_mnist")
  config.train.parallel = "jit"
  a, b = load_state(config, one_process), load_state(config, two)
  assert int(a.step) == int(b.step) == config.train.num_steps
  # Same data, same per-example noise; only the order of the float
  # reductions differs (mean of 2 half-batch means vs one mean).
  chex.assert_trees_all_close(b.params, a.params, rtol=1e-4, atol=1e-5)


def test_sigterm_saves_and_resume_finishes(tmp_path):
  workdir = str(tmp_path / "run")
  env = dict(os.environ, XLA_FLAGS=xla_flags(1))
  proc = subprocess.Popen(
      [sys.executable, os.path.join(ROOT, "launch.py"), SMOKE, NO_PROBES,
       f"--workdir={workdir}", "--progress=false",
       "--config.train.num_steps=100000", "--config.train.log_every=1"],
      cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
      text=True)
  metrics = os.path.join(workdir, "metrics.jsonl")
  deadline = time.time() + 120
  while time.time() < deadline and not (
      os.path.exists(metrics) and os.path.getsize(metrics) > 0):
    time.sleep(0.2)
  proc.send_signal(signal.SIGTERM)
  _, err = proc.communicate(timeout=120)
  assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
  assert "checkpoint saved" in err
  config = load_config("vae_mnist")
  config.train.num_steps = 100000
  state = load_state(config, workdir)
  stopped_at = int(state.step)
  assert 0 < stopped_at < 100000
  # Resuming with the original (short) length finishes from there.
  done = launch(SMOKE, NO_PROBES, f"--workdir={workdir}",
                f"--config.train.num_steps={stopped_at + 2}")
  assert done.returncode == 0, done.stderr[-2000:]
  with open(os.path.join(workdir, "results.json")) as f:
    results = json.load(f)
  assert results["steps"] == stopped_at + 2
  assert np.isfinite(results["test_nll"])
