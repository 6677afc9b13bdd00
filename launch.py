"""Runs one experiment: flags -> config -> the public API's `run`.

  python launch.py --config=experiments/vae_mnist.py --workdir=workdirs/vae
  python launch.py --config=experiments/vae_mnist.py:smoke --config.seed=1
  python launch.py --config=... --coordinator_address=host:1234 \
      --num_processes=2 --process_id=0          # one line per process

Bad input prints one line and exits with status 2; a run stopped by SIGTERM
or SIGINT saves a checkpoint first and resumes when started again.
"""

import os
import sys

from absl import flags
from ml_collections import config_flags

HERE = os.path.dirname(os.path.abspath(__file__))
# Figures are written to files, never shown: no display is needed. (The
# library itself leaves the backend alone, so a notebook keeps its own.)
os.environ.setdefault("MPLBACKEND", "Agg")
DEFAULT_CONFIG = os.path.join(HERE, "experiments", "vae_mnist.py")


def define_flags() -> dict:
  """Defines the flags. ml_collections reads the config overrides in argv as
  soon as the config flag is defined, so this runs under `main`'s error
  handling."""
  f = {}
  f["config"] = config_flags.DEFINE_config_file(
      "config", DEFAULT_CONFIG, "Experiment config file (experiments/NAME.py, "
      "optionally NAME.py:smoke); override fields with --config.FIELD=value.")
  f["workdir"] = flags.DEFINE_string(
      "workdir", None, "Run directory (default: workdirs/<config name>). An "
      "existing run there is resumed.")
  f["parallel"] = flags.DEFINE_enum(
      "parallel", None, ["auto", "jit", "pmap", "mesh"],
      "Override config.train.parallel: jit on one device, pmap over all, "
      "mesh: jit over a mesh of all devices (sharded batches).")
  f["coordinator_address"] = flags.DEFINE_string(
      "coordinator_address", None, "host:port of process 0 (multi-process).")
  f["num_processes"] = flags.DEFINE_integer(
      "num_processes", None, "Processes in a multi-process run.")
  f["process_id"] = flags.DEFINE_integer("process_id", None,
                                         "This process's index.")
  f["progress"] = flags.DEFINE_bool("progress", True, "Show a progress bar.")
  return f


EXIT_USER_ERROR = 2


def fail(message: str) -> None:
  print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
  sys.exit(EXIT_USER_ERROR)


def _one_line(e: Exception) -> str:
  """The most telling line of a flag or config-file error."""
  lines = [l.strip() for l in str(e).strip().splitlines() if l.strip()]
  if not lines:
    return f"{type(e).__name__} while reading the flags"
  if "No such file" in str(e):
    missing = [l for l in lines if "No such file" in l]
    return f"config file not found: {missing[-1]}"
  if isinstance(e, (KeyError, AttributeError)):
    return f"unknown config field {lines[-1].strip(chr(34))}"
  return lines[-1]


def default_workdir(config_arg: str) -> str:
  name = os.path.splitext(os.path.basename(config_arg.split(":")[0]))[0]
  return os.path.join("workdirs", name)


def main(argv: list[str]) -> None:
  try:
    f = define_flags()
    flags.FLAGS(argv)
    config = f["config"].value
    config.method  # pylint: disable=pointless-statement  # loads the file
  except Exception as e:  # flag and config-file errors  # pylint: disable=broad-except
    fail(_one_line(e))
  if f["parallel"].value:
    config.train.parallel = f["parallel"].value
  config_arg = flags.FLAGS["config"].serialize().split("=", 1)[-1]
  workdir = f["workdir"].value or default_workdir(config_arg)

  # The public API validates the config before JAX starts, then runs it.
  import unsup_jax as uj  # pylint: disable=g-import-not-at-top
  from unsup_jax import errors  # pylint: disable=g-import-not-at-top
  try:
    results = uj.run(config, workdir, progress=f["progress"].value,
                     coordinator_address=f["coordinator_address"].value,
                     num_processes=f["num_processes"].value,
                     process_id=f["process_id"].value)
  except errors.UserError as e:
    fail(str(e))
  except errors.Interrupted as e:
    print(str(e), file=sys.stderr)
    sys.exit(128 + e.signum)
  except (errors.Diverged, errors.NonFiniteResults) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
  summary = ", ".join(f"{k}={'null' if v is None else format(v, '.4g')}"
                      for k, v in sorted(results.items())
                      if k.startswith("test_"))
  print(summary)
  print(f"report: {os.path.join(workdir, 'report.md')}")


if __name__ == "__main__":
  main(sys.argv)
