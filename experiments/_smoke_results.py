"""Every experiment's smoke variant, its results kept to compare two trees.

  python experiments/_smoke_results.py OUT              # every experiment
  python experiments/_smoke_results.py OUT vae_mnist,gan_ablation
  python experiments/_smoke_results.py --compare BEFORE AFTER

The first two forms run each experiment's `get_config("smoke")` (one jit
device, as `tests/test_experiments.py` runs them, with the test suite's
XLA flags) in a temporary workdir and write its `results.json` values,
timings left out, to `OUT/NAME.json` (experiments already there are
skipped); the FID feature network is trained once, under these flags, in
`~/.cache/unsup_jax/` (or `$UNSUP_JAX_FID_CLASSIFIER`). Run them in two checkouts, e.g. before and after a refactor
that must not change what any method computes, then `--compare` lists,
for every experiment, whether the two agree exactly and the values that
differ. Exit status 1 when any differ.
"""

import json
import math
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The test suite's XLA flags (tests/conftest.py): smoke results are
# compared at the precision and program the tests compile.
os.environ["XLA_FLAGS"] = ("--xla_cpu_use_fusion_emitters=false "
                           "--xla_cpu_multi_thread_eigen=false "
                           "--xla_force_host_platform_device_count=8")
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")
os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The FID feature network, trained once under these flags and shared by
# both trees (set the variable to use another).
os.environ.setdefault("UNSUP_JAX_FID_CLASSIFIER", os.path.join(
    os.path.expanduser("~"), ".cache", "unsup_jax",
    "smoke_fid_classifier.msgpack"))


def experiments() -> list[str]:
  return sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "experiments"))
                if f.endswith(".py") and not f.startswith("_"))


def run_smoke(name: str) -> dict:
  """The smoke variant's results (timings left out)."""
  sys.path.insert(0, ROOT)
  import unsup_jax as uj  # pylint: disable=g-import-not-at-top
  config = uj.get_config(name, "smoke")
  config.train.parallel = "jit"
  with tempfile.TemporaryDirectory() as workdir:
    if config.data.name.startswith("tfds:"):
      import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
      with tfds.testing.mock_data(num_examples=128):
        results = uj.run(config, workdir, progress=False)
    else:
      results = uj.run(config, workdir, progress=False)
  return {k: v for k, v in results.items() if "seconds" not in k}


def differences(a: dict, b: dict) -> list[str]:
  out = []
  for k in sorted(set(a) | set(b)):
    if k not in a or k not in b:
      out.append(f"{k}: only in {'the first' if k in a else 'the second'}")
    elif a[k] != b[k] and not (isinstance(a[k], float) and
                               isinstance(b[k], float) and
                               math.isnan(a[k]) and math.isnan(b[k])):
      out.append(f"{k}: {a[k]!r} -> {b[k]!r}")
  return out


def compare(before: str, after: str) -> int:
  names = sorted(f[:-5] for f in os.listdir(after) if f.endswith(".json"))
  changed = 0
  for name in names:
    a = json.load(open(os.path.join(before, f"{name}.json")))
    b = json.load(open(os.path.join(after, f"{name}.json")))
    diff = differences(a, b)
    changed += bool(diff)
    print(f"{name:28s} {len(a):4d} values  "
          f"{'same' if not diff else f'{len(diff)} differ'}")
    for line in diff:
      print(f"    {line}")
  print(f"{len(names) - changed} of {len(names)} identical")
  return int(changed > 0)


def main(argv: list[str]) -> int:
  if len(argv) == 4 and argv[1] == "--compare":
    return compare(argv[2], argv[3])
  if len(argv) not in (2, 3) or argv[1].startswith("-"):
    print(__doc__.strip().splitlines()[2], file=sys.stderr)
    return 2
  out = argv[1]
  names = argv[2].split(",") if len(argv) == 3 else experiments()
  os.makedirs(out, exist_ok=True)
  for name in names:
    path = os.path.join(out, f"{name}.json")
    if not os.path.exists(path):
      with open(path + ".tmp", "w") as f:
        json.dump(run_smoke(name), f, indent=1, sort_keys=True)
      os.replace(path + ".tmp", path)
      print(name, flush=True)
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv))
