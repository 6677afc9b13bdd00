"""Test set-up: 8 fake CPU devices and the XLA flags of the tests (set
before JAX starts), the compilation cache and the float32 precision the
tests compare at. Shared helpers are in `tests/helpers.py`."""

import os

import pytest

# The suite compiles far more than it runs (hundreds of distinct programs,
# a few steps each): XLA:CPU's backend optimisation is skipped (JAX's
# `jax_disable_most_optimizations`: about 40% of compile time), fusions are
# emitted by XLA's older elemental emitters (about a fifth less compile time
# again, measured on the VQ-VAE, conv and conv-VAE tests) and each of the
# two pytest workers runs its ops on one thread. Unoptimised convolutions
# run about four times slower, so the few tests that train for hundreds of
# steps are marked `optimized` and compile with optimisation (the
# `_compiled_for_runtime` fixture below). Runs outside the tests use XLA's
# defaults.
TEST_XLA_FLAGS = ("--xla_cpu_use_fusion_emitters=false "
                  "--xla_cpu_multi_thread_eigen=false")
os.environ["XLA_FLAGS"] = " ".join(
    [os.environ.get("XLA_FLAGS", ""), TEST_XLA_FLAGS,
     "--xla_force_host_platform_device_count=8"]).strip()
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")
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

# Scheduling of `pytest -n 2` (pytest-xdist). Tests that share an expensive
# artefact run on one worker, so that it is built once and no worker waits on
# another's lock: node-id prefix -> group. (xdist's own `--dist loadgroup`
# marks do not group under pytest 9.2, whose node ids it cannot rename.)
# Groups go first, then the slowest files, so that the two workers finish
# together on short tests.
_GROUPS = {
    "tests/eval/test_feature_classifier.py::": "fid_classifier",
    # The tour notebook trains dcgan_mnist among its runs.
    "tests/test_notebooks.py::test_tour": "fid_classifier",
    "tests/methods/adversarial/test_gan.py::test_training_lowers_fid":
        "fid_classifier",
    **{f"tests/test_experiments.py::test_smoke_variant_writes_report[{n}]":
       "fid_classifier" for n in ("dcgan_mnist", "hinge_gan_mnist",
                                  "wgan_gp_mnist", "gan_ablation",
                                  "denoising_aae_study",
                                  "tdvae_moving_digits")},
    "tests/training/test_distributed.py::test_two_processes": "one_process",
    "tests/methods/compression/test_ae_vs_pca.py::": "ae_vs_pca_trained",
    "tests/test_launch.py::test_checkpoint_of_a_different_model":
        "finished_run",
    "tests/test_launch.py::test_corrupt_checkpoint": "finished_run",
}
_SLOW_FIRST = ("tests/test_notebooks.py", "tests/test_experiments.py",
               "tests/training/test_faults.py",
               "tests/methods/discrete/test_vqvae.py",
               "tests/training/test_distributed.py",
               "tests/training/test_resume.py", "tests/test_api.py",
               "tests/nn/test_pixelcnn.py",
               "tests/methods/adversarial/test_gan.py",
               "tests/methods/compression/test_anomaly.py",
               "tests/training/test_parallel.py",
               "tests/methods/sequences/test_tdvae.py")


def _group(nodeid: str) -> str | None:
  return next((g for p, g in _GROUPS.items() if nodeid.startswith(p)), None)


def pytest_collection_modifyitems(config, items):
  del config
  rank = lambda item: next((i for i, p in enumerate(_SLOW_FIRST)
                            if item.nodeid.startswith(p)), len(_SLOW_FIRST))
  items.sort(key=rank)


def pytest_xdist_make_scheduler(config, log):
  """Under `-n N` (xdist's default `--dist load`): one work unit per group
  of `_GROUPS`, one per test otherwise; units of several tests first
  (xdist's scope scheduling). Any other `--dist` is left to xdist."""
  if config.getvalue("dist") != "load":
    return None
  from xdist.scheduler import LoadScopeScheduling  # pylint: disable=g-import-not-at-top

  class GroupScheduling(LoadScopeScheduling):

    def _split_scope(self, nodeid: str) -> str:
      return _group(nodeid) or nodeid

  return GroupScheduling(config, log)


@pytest.fixture(autouse=True)
def _compiled_for_runtime(request):
  """Tests marked `optimized` (hundreds of steps: running, not compiling, is
  their cost) compile with XLA's optimisation; the others without."""
  from tests.helpers import optimized  # pylint: disable=g-import-not-at-top
  if _group(request.node.nodeid) == "fid_classifier":
    # The FID feature network trains for 775 steps, once (then it is read
    # from its cache): optimised, whichever test of the group comes first.
    from unsup_jax.eval import feature_classifier  # pylint: disable=g-import-not-at-top
    with optimized():
      feature_classifier.load_or_train(os.environ["UNSUP_JAX_FID_CLASSIFIER"])
  if request.node.get_closest_marker("optimized") is None:
    yield
    return
  with optimized():
    yield


def pytest_configure(config):
  config.addinivalue_line(
      "markers", "optimized: compile with XLA's optimisation (the test runs "
      "hundreds of steps)")
