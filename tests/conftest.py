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

# The GAN's FID feature network is trained once and shared by every test.
os.environ.setdefault("UNSUP_JAX_FID_CLASSIFIER", os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".jax_cache",
    "fid_classifier.msgpack"))

# The tests compare float32 computations to 1e-5: on GPUs (TF32) and TPUs
# (bfloat16 passes) the default matmul and convolution precision is lower.
os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")

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


def pmap_and_jit_states(method, state, batches, *, metric_atol=1e-5):
  """Runs `batches` through the jit step and the pmap step (all local
  devices) from `state`, checks every metric agrees at each step, and
  returns the two final host states `(jit_state, pmap_state)`."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from unsup_jax.training import parallel  # pylint: disable=g-import-not-at-top
  single = parallel.Engine(method.train_step, "jit")
  multi = parallel.Engine(method.train_step, "pmap")
  s1, s8 = single.put_state(state), multi.put_state(state)
  for batch in batches:
    s1, m1 = single.step(s1, single.put_batch(batch))
    s8, m8 = multi.step(s8, multi.put_batch(batch))
    m1, m8 = single.get_metrics(m1), multi.get_metrics(m8)
    for k in m1:
      np.testing.assert_allclose(m8[k], m1[k], rtol=2e-5, atol=metric_atol,
                                 err_msg=k)
  return single.get_state(s1), multi.get_state(s8)
