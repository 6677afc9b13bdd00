"""Test set-up: 8 fake CPU devices (set before JAX starts) and shared helpers."""

import importlib.util
import os
import subprocess
import sys

os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                           " --xla_force_host_platform_device_count=8").strip()
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Smoke runs compile the same programs many times over (in this process and
# in the launch.py subprocesses): share compiled executables through JAX's
# persistent cache.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".jax_cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

import pytest  # pylint: disable=g-import-not-at-top

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENTS = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "experiments"))
                     if f.endswith(".py") and not f.startswith("_"))


def load_config(name: str, arg: str | None = "smoke"):
  """`experiments/NAME.py`'s get_config(arg)."""
  path = os.path.join(ROOT, "experiments", f"{name}.py")
  spec = importlib.util.spec_from_file_location(f"experiments.{name}", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(arg)


def launch(*args: str, devices: int = 1, timeout: float = 300,
           env: dict | None = None) -> subprocess.CompletedProcess:
  """Runs `python launch.py ARGS` in a fresh process with `devices` CPUs."""
  full_env = dict(os.environ, XLA_FLAGS=(
      f"--xla_force_host_platform_device_count={devices}"), **(env or {}))
  return subprocess.run([sys.executable, os.path.join(ROOT, "launch.py"),
                         "--progress=false", *args], cwd=ROOT, env=full_env,
                        capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def smoke_config():
  return load_config
