"""Test set-up: 8 fake CPU devices and the XLA flags of the tests (set
before JAX starts), the compilation cache and the float32 precision the
tests compare at. Shared helpers are in `tests/helpers.py`."""

import os

# The suite compiles far more than it runs (hundreds of distinct programs,
# a few steps each): XLA:CPU's backend optimisation is skipped (about 40%
# of compile time) and each of the two pytest workers runs its ops on one
# thread. Every comparison in the tests is between computations compiled
# under these same flags; runs outside the tests use XLA's defaults.
TEST_XLA_FLAGS = ("--xla_backend_optimization_level=0 "
                  "--xla_cpu_multi_thread_eigen=false")
os.environ["XLA_FLAGS"] = " ".join(
    [os.environ.get("XLA_FLAGS", ""), TEST_XLA_FLAGS,
     "--xla_force_host_platform_device_count=8"]).strip()
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Smoke runs compile the same programs many times over (in this process and
# in the launch.py subprocesses): share compiled executables through JAX's
# persistent cache.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR",
                      os.path.join(_ROOT, ".jax_cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

# The GAN's FID feature network is trained once and shared by every test.
os.environ.setdefault("UNSUP_JAX_FID_CLASSIFIER", os.path.join(
    _ROOT, ".jax_cache", "fid_classifier.msgpack"))

# The tests compare float32 computations to 1e-5: on GPUs (TF32) and TPUs
# (bfloat16 passes) the default matmul and convolution precision is lower.
os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")
