"""Faults injected, not assumed: SIGKILL anywhere (checkpoint writes
included), a full disk, a torn log line, a second run on the same workdir,
results that come out non-finite."""

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time

import chex
import numpy as np
import orbax.checkpoint as ocp
import pytest

from tests.helpers import ROOT, build, launch, load_config, load_state, \
    run, xla_flags
from unsup_jax import errors
from unsup_jax.errors import UserError
from unsup_jax.training import lock, run as run_lib

TINY = ["--config=experiments/vae_mnist.py:smoke", "--config.vae.probe_labels=()",
        "--config.vae.encoder_hidden=(32,)", "--config.vae.decoder_hidden=(32,)",
        "--config.train.num_steps=16", "--config.train.checkpoint_every=1",
        "--config.train.keep_checkpoints=2", "--config.train.log_every=1"]


def _tiny_config():
  config = load_config("vae_mnist")
  config.vae.probe_labels = ()
  config.vae.encoder_hidden = config.vae.decoder_hidden = (32,)
  config.train.update(num_steps=16, checkpoint_every=1, keep_checkpoints=2,
                      log_every=1, parallel="jit")
  return config


def _records(workdir):
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    return [json.loads(l) for l in f]


def test_sigkill_anywhere_then_the_same_command_gives_the_same_run(tmp_path):
  """With a checkpoint every step most of the run is spent writing them, so
  random kills land in checkpoint writes as well as in steps."""
  whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
  done = launch(*TINY, f"--workdir={whole}")
  assert done.returncode == 0, done.stderr[-2000:]
  env = dict(os.environ, XLA_FLAGS=xla_flags(1))
  rng = np.random.default_rng(0)
  kills = 0
  for _ in range(4):
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "launch.py"),
                             "--progress=false", *TINY, f"--workdir={parts}"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    ckpts = os.path.join(parts, "checkpoints")
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not (
        os.path.isdir(ckpts) and os.listdir(ckpts)):
      time.sleep(0.05)
    time.sleep(rng.uniform(0.0, 1.5))
    if proc.poll() is not None:
      break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kills += 1
  assert kills >= 2
  last = launch(*TINY, f"--workdir={parts}")
  assert last.returncode == 0, last.stderr[-2000:]
  config = _tiny_config()
  a, b = load_state(config, whole), load_state(config, parts)
  assert int(a.step) == int(b.step) == 16
  chex.assert_trees_all_equal(a.params, b.params)
  chex.assert_trees_all_equal(a.opt_state, b.opt_state)
  steps = [r["step"] for r in _records(parts) if "loss" in r]
  assert steps == list(range(1, 17))
  assert json.load(open(os.path.join(whole, "results.json")))["test_nll"] == \
      json.load(open(os.path.join(parts, "results.json")))["test_nll"]
  # No half-written checkpoint is left behind.
  assert all(d.isdigit() for d in os.listdir(os.path.join(parts,
                                                          "checkpoints")))


def test_a_checkpoint_write_cut_short_is_ignored_and_cleaned(tmp_path):
  """What a kill during a checkpoint write leaves: orbax's temporary
  directory of the next step, half full. The run resumes from the last
  complete checkpoint and ends as an uninterrupted one."""
  import shutil  # pylint: disable=g-import-not-at-top
  config = _tiny_config()
  config.train.checkpoint_every = 4
  whole = run(config, str(tmp_path / "whole"))
  parts = tmp_path / "parts"
  with pytest.raises(errors.Interrupted):
    run(config, str(parts), stop_after=4)
  ckpts = parts / "checkpoints"
  torn = ckpts / "8.orbax-checkpoint-tmp-1234567"
  shutil.copytree(ckpts / "4", torn)
  for path in sorted(torn.rglob("*"))[::2]:      # half the files are lost
    if path.is_file():
      path.unlink()
  resumed = run(config, str(parts))
  assert resumed["test_nll"] == whole["test_nll"]
  assert not torn.exists()
  chex.assert_trees_all_equal(load_state(config, str(parts)).params,
                              load_state(config, str(tmp_path / "whole")).params)


def test_a_full_disk_is_a_one_line_error_and_keeps_the_checkpoints(
    tmp_path, monkeypatch):
  config = _tiny_config()
  config.train.checkpoint_every = 4
  real, calls = ocp.CheckpointManager.save, []

  def save(self, step, *args, **kwargs):
    calls.append(step)
    if len(calls) > 1:
      raise OSError(errno.ENOSPC, "No space left on device")
    return real(self, step, *args, **kwargs)
  monkeypatch.setattr(ocp.CheckpointManager, "save", save)
  with pytest.raises(UserError, match="No space left on device") as err:
    run(config, str(tmp_path))
  assert "\n" not in str(err.value) and "earlier checkpoints are kept" in str(
      err.value)
  monkeypatch.setattr(ocp.CheckpointManager, "save", real)
  state = load_state(config, str(tmp_path))
  assert int(state.step) == 4                    # the one before is intact
  assert not os.path.exists(tmp_path / lock.LOCK_FILE)   # lock released


def test_an_unwritable_log_is_a_one_line_error(tmp_path, monkeypatch):
  from unsup_jax.training import logging as logging_lib  # pylint: disable=g-import-not-at-top

  def write(self, step, metrics):
    raise OSError(errno.EROFS, "Read-only file system", self.path)
  monkeypatch.setattr(logging_lib.MetricsLogger, "write", write)
  with pytest.raises(UserError, match="cannot write to --workdir.*Read-only"):
    run(_tiny_config(), str(tmp_path))


def test_a_torn_log_line_is_dropped_on_resume(tmp_path):
  config = _tiny_config()
  with pytest.raises(errors.Interrupted):
    run(config, str(tmp_path), stop_after=5)
  with open(tmp_path / "metrics.jsonl", "a") as f:
    f.write('{"step": 6, "loss": 12')           # a crash mid-write
  run(config, str(tmp_path))
  steps = [r["step"] for r in _records(str(tmp_path)) if "loss" in r]
  assert steps == list(range(1, 17))


def test_a_second_run_on_a_locked_workdir_is_refused(tmp_path):
  workdir = str(tmp_path / "run")
  env = dict(os.environ, XLA_FLAGS=xla_flags(1))
  first = subprocess.Popen(
      [sys.executable, os.path.join(ROOT, "launch.py"), "--progress=false",
       *TINY, "--config.train.num_steps=100000", f"--workdir={workdir}"],
      cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
      text=True)
  try:
    deadline = time.time() + 60
    while time.time() < deadline and not os.path.exists(
        os.path.join(workdir, "metrics.jsonl")):
      time.sleep(0.1)
    before = open(os.path.join(workdir, "metrics.jsonl")).read()
    start = time.monotonic()
    second = launch(*TINY, f"--workdir={workdir}")
    assert second.returncode == 2, second.stderr[-2000:]
    lines = [l for l in second.stderr.splitlines() if l.startswith("error:")]
    assert len(lines) == 1
    assert f"in use by process {first.pid} on this host" in lines[0]
    assert time.monotonic() - start < 60
    assert open(os.path.join(workdir, "metrics.jsonl")).read().startswith(
        before)
  finally:
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=120)
  assert first.returncode == 128 + signal.SIGTERM
  assert not os.path.exists(os.path.join(workdir, lock.LOCK_FILE))


def test_a_stale_lock_is_taken_over_with_a_note(tmp_path, capsys):
  dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                        capture_output=True, text=True, check=True)
  pid = int(dead.stdout)
  with open(tmp_path / lock.LOCK_FILE, "w") as f:
    json.dump({"host": socket.gethostname(), "pid": pid,
               "since": "2026-01-01T00:00:00"}, f)
  results = run(_tiny_config(), str(tmp_path))
  assert results["steps"] == 16
  assert "taking over the stale lock" in capsys.readouterr().err
  with open(tmp_path / lock.LOCK_FILE, "w") as f:
    json.dump({"host": "another-host", "pid": 1, "since": "x"}, f)
  with pytest.raises(UserError, match="in use by process 1 on host "
                     "another-host.*delete"):
    run(_tiny_config(), str(tmp_path))


def test_non_finite_results_are_not_written_as_valid(tmp_path):
  config = _tiny_config()
  method, data = build(config)

  def evaluate(state, view, key, *, full):
    metrics, outputs = method.evaluate(state, view, key, full=full)
    return dict(metrics, nll=float("nan")), outputs
  with pytest.raises(errors.NonFiniteResults, match="test_nll"):
    run_lib.run(config, method._replace(evaluate=evaluate), data,
                str(tmp_path), progress=False)
  written = json.load(open(tmp_path / "results.json"))
  assert written["test_nll"] is None and np.isfinite(written["test_elbo"])
  assert "not finite and are not valid" in open(tmp_path / "report.md").read()
