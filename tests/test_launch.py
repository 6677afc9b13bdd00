"""launch.py: smoke runs from the command line, and every bad input gives a
one-line message with exit status 2 without touching what was written."""

import hashlib
import os

import pytest

from tests.helpers import launch, load_config, run


def _error_lines(proc):
  return [l for l in proc.stderr.splitlines() if l.startswith("error:")]


def _assert_user_error(proc, *fragments):
  assert proc.returncode == 2, proc.stderr[-2000:]
  lines = _error_lines(proc)
  assert len(lines) == 1, proc.stderr[-2000:]
  assert "Traceback" not in proc.stderr
  for fragment in fragments:
    assert fragment in lines[0], lines[0]


def _snapshot(workdir):
  digest = {}
  for root, _, files in os.walk(workdir):
    for name in files:
      path = os.path.join(root, name)
      with open(path, "rb") as f:
        digest[os.path.relpath(path, workdir)] = hashlib.sha256(
            f.read()).hexdigest()
  return digest


def test_smoke_run_prints_report_path(tmp_path):
  workdir = str(tmp_path / "run")
  proc = launch("--config=experiments/vae_mnist.py:smoke",
                f"--workdir={workdir}")
  assert proc.returncode == 0, proc.stderr[-3000:]
  assert f"report: {os.path.join(workdir, 'report.md')}" in proc.stdout
  assert "test_nll=" in proc.stdout
  assert os.path.exists(os.path.join(workdir, "results.json"))


@pytest.mark.parametrize("args,fragments", [
    (["--config=experiments/no_such_experiment.py"],
     ["config file not found", "no_such_experiment.py"]),
    (["--config=experiments/vae_mnist.py:huge"], ["unknown config variant"]),
    (["--config.no_such_field=1"], ["unknown config field", "no_such_field"]),
    (["--config.train.num_steps=many"], ["num_steps", "many"]),
    (["--config.data.batch_size=0"], ["config.data.batch_size", ">= 1"]),
    (["--config.train.num_steps=-5"], ["config.train.num_steps", ">= 0"]),
    (["--config.data.name=imagenet"], ["unknown dataset", "mnist5k"]),
    (["--config.optim.learning_rate=nan"], ["config.optim.learning_rate",
                                            "finite"]),
    (["--config.vae.beta=-1"], ["config.vae.beta", ">= 0"]),
    (["--config.data.binarize=otsu"], ["config.data.binarize", "dynamic"]),
    (["--config.data.streams.extra.batch_size=0"], ["unknown config field"]),
    (["--num_processes=2"], ["--coordinator_address"]),
])
def test_bad_flags(tmp_path, args, fragments):
  workdir = str(tmp_path / "run")
  proc = launch("--config=experiments/vae_mnist.py:smoke", *args,
                f"--workdir={workdir}") if not args[0].startswith(
                    "--config=") else launch(*args, f"--workdir={workdir}")
  _assert_user_error(proc, *fragments)
  assert not os.path.exists(workdir)        # nothing written


def test_batch_not_divisible_by_devices(tmp_path):
  proc = launch("--config=experiments/vae_mnist.py:smoke",
                "--config.data.batch_size=12", "--parallel=pmap",
                f"--workdir={tmp_path / 'run'}", devices=8)
  _assert_user_error(proc, "global batch size 12", "device count 8")


def test_workdir_is_a_file(tmp_path):
  path = tmp_path / "file"
  path.write_text("precious")
  proc = launch("--config=experiments/vae_mnist.py:smoke", f"--workdir={path}")
  _assert_user_error(proc, "is not a directory")
  assert path.read_text() == "precious"


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
  """A finished smoke VAE run: checkpoints, metrics, figures, report."""
  workdir = str(tmp_path_factory.mktemp("finished"))
  config = load_config("vae_mnist")
  config.vae.probe_labels = ()
  run(config, workdir)
  return workdir


def test_checkpoint_of_a_different_model(finished_run):
  before = _snapshot(finished_run)
  proc = launch("--config=experiments/ae_mnist.py:smoke",
                f"--workdir={finished_run}")
  _assert_user_error(proc, "different model", "--workdir")
  proc = launch("--config=experiments/vae_mnist.py:smoke",
                "--config.vae.latent_dim=7", f"--workdir={finished_run}")
  _assert_user_error(proc, "different model", "latent_dim")
  assert _snapshot(finished_run) == before


def test_corrupt_checkpoint(finished_run, tmp_path):
  workdir = str(tmp_path / "copy")
  os.system(f"cp -r {finished_run} {workdir}")
  ckpt_dir = os.path.join(workdir, "checkpoints")
  latest = str(max(int(d) for d in os.listdir(ckpt_dir) if d.isdigit()))
  for root, _, files in os.walk(os.path.join(ckpt_dir, latest, "state")):
    for name in files:
      with open(os.path.join(root, name), "r+b") as f:
        size = os.path.getsize(f.name)
        f.write(b"\x00garbage\xff" * max(1, size // 9))
  before = _snapshot(workdir)
  proc = launch("--config=experiments/vae_mnist.py:smoke",
                f"--workdir={workdir}")
  _assert_user_error(proc, "corrupt", latest)
  assert _snapshot(workdir) == before
