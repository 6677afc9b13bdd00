"""Train-step throughput: the project's JAX methods against PyTorch twins.

For each model the JAX side is the project's real training step: the method
built by `unsup_jax.methods.registry.build` from an experiment's
`get_config()`, its state from `method.init`, its first step phase compiled
with `tests.helpers.Engine(step, "jit")` (which donates the
state). The PyTorch side is the same architecture written in `torch.nn`
(channels-first, as is natural there), with the same objective, the same
batch, the same optimiser (Adam, the config's learning rate) in float32.
Parameter counts are compared and must match.

Procedure: both sides are warmed up (compilation for JAX, a few steps for
torch). Then, for `--rounds` rounds and for every model, `--steps` JAX steps
and `--steps` torch steps are timed back to back in one process, the order
swapped every round so that neither side always runs first on a warm cache.
Each JAX window ends with `jax.block_until_ready`; torch runs synchronously.
A side's steps/s is the median over rounds.

Threads (both sides get the same cores and run one at a time, never
concurrently):
  * torch: `torch.set_num_threads(N)` (intra-op, OpenMP) and
    `torch.set_num_interop_threads(1)`, N = the cores this process may use
    (its affinity mask: 2 on the project's machines) unless `--threads`.
  * XLA:CPU: its intra-op thread pool is sized by the runtime from the same
    affinity mask (N threads); nothing is overridden. The live pool size is
    read from /proc and printed. `--threads` changes torch only: to give both
    sides fewer cores, restrict the process, e.g.
      taskset -c 0 python benchmarks/train_throughput.py
    XLA flags go through the environment, read when jax starts, e.g.
      XLA_FLAGS=--xla_cpu_multi_thread_eigen=false python ...
    (none of the XLA:CPU flags we tried changed the picture; see the README).
  The settings in force and the machine's load average are printed with the
  results. On a loaded machine torch's OpenMP threads wait on descheduled
  peers and slow down far more than XLA's pool, which inflates the ratio:
  compare only numbers from an otherwise idle machine.

torch side: Adam is torch's fused CPU kernel, its fastest variant here; the
loss is eager by default, `--torch_compile` wraps it in `torch.compile`.

The torch twins live next to this script: `twins_vae.py` (MLP and conv
VAEs), `twins_vqvae.py`, `twins_gan.py` (DCGAN), with `TorchRunner`,
`IMAGE_SHAPE` and the warm-up steps in `twins_common.py`; this file is the
driver (configs, batch, JAX runner, `BENCHMARKS`, timing, report).

Adding a model: write a torch builder
`(config, batch, compile_step) -> TorchRunner` in a `twins_*.py` module (or
any runner with `model`, `num_params`, `warmup()` and `run(steps)`; and, if
the method is not a plain `registry.build` one, a JAX builder
`(config, batch) -> JaxRunner`) and add one `Benchmark` entry to
`BENCHMARKS`. When the method's params hold networks the timed step does not
train (the VQ-VAE's prior), the entry's `param_subtree` names the part whose
parameters are counted.

VQ-VAE (van den Oord et al. 2017, arXiv:1711.00937): the timed step is the
first step phase (autoencoder and EMA codebook), not the prior's; the
k-means phase before it is not run, so both codebooks start from random
normal rows and every timed step on both sides is the same EMA step (see
`twins_vqvae.vqvae_loss`).

DCGAN (Radford et al. 2016, arXiv:1511.06434; non-saturating loss of
Goodfellow et al. 2014, arXiv:1406.2661), the recipe of
`experiments/dcgan_mnist.py` on both sides: one step is `n_critic` (1)
discriminator updates on the batch and fresh noise, with the R1 penalty
(Mescheder et al. 2018, arXiv:1801.04406; gamma 1) on every 4th step only,
weighted 4 times (lazy regularisation, Karras et al. 2020,
arXiv:1912.04958), then one generator update on fresh noise, each network
with its own Adam(2e-4, 0.5, 0.999), then the moving average of the
generator's weights and batch-norm averages (a copy of it before
`ema_start`; the same work either way). Both sides count their steps
from 0, warm-up included, so a window of a multiple of 4 steps holds as
many R1 steps on either side; one of 50 holds 12 or 13 on each.
Both networks' parameters are counted, not the average's. The generator's
batch-norm running variance is torch's unbiased one (Flax keeps the biased
one); it is read only when sampling in evaluation mode, never in the timed
step. `--torch_compile` leaves R1's double backward eager.

Usage:
  pip install -r benchmarks/requirements.txt
  python benchmarks/train_throughput.py --rounds 5 --steps 50
"""

import argparse
import dataclasses
import importlib.util
import os
import pathlib
import statistics
import sys
import time
from typing import Any, Callable

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent  # the twins' folder
REPO = HERE.parent
for _path in (REPO, HERE):  # the package; the sibling `twins_*` modules
  if str(_path) not in sys.path:
    sys.path.insert(0, str(_path))

import jax  # pylint: disable=g-import-not-at-top
import jaxlib
import torch

from tests.helpers import Engine
from unsup_jax.data.dataset import Feature, Spec
from unsup_jax.methods import registry
from unsup_jax.training.contract import step_phases

import twins_common
import twins_gan
import twins_vae
import twins_vqvae

IMAGE_SHAPE = twins_common.IMAGE_SHAPE  # (H, W, C) of MNIST


def load_config(relative_path: str, arg: str | None = None):
  """`get_config(arg)` of an experiment file, imported from its path."""
  path = REPO / relative_path
  spec = importlib.util.spec_from_file_location(
      f"_bench_cfg_{path.stem}", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(arg)


def make_batch(batch_size: int, seed: int = 0) -> dict:
  """A fixed random batch: binary float32 images `[B, H, W, C]`, int labels."""
  rng = np.random.default_rng(seed)
  image = (rng.random((batch_size,) + IMAGE_SHAPE) < 0.5).astype(np.float32)
  label = rng.integers(0, 10, size=(batch_size,), dtype=np.int32)
  return {"image": image, "label": label}


# ---------------------------------------------------------------- JAX side --


def count_params(tree) -> int:
  """Number of scalars in a pytree of arrays."""
  return sum(int(np.prod(x.shape)) for x in jax.tree.leaves(tree))


class JaxRunner:
  """Runs the project's compiled train step on a fixed, device-resident batch.

  The batch is put on the device once (as the torch side builds its tensor
  once), so a timed window measures the step, not the host-to-device copy.
  """

  def __init__(self, method, batch: dict, seed: int = 0):
    self.engine = Engine(step_phases(method)[0].step, "jit")
    self.state = self.engine.put_state(
        method.init(jax.random.key(seed), batch))
    self.batch = jax.device_put(self.engine.put_batch(batch))
    self.metrics = None
    self.num_params = count_params(self.state.params)

  def warmup(self) -> None:
    self.run(2)  # the first call compiles

  def run(self, steps: int) -> None:
    """`steps` train steps, blocking on the result at the end."""
    state, metrics = self.state, self.metrics
    for _ in range(steps):
      state, metrics = self.engine.step(state, self.batch)  # donates `state`
    self.state, self.metrics = jax.block_until_ready((state, metrics))


SPEC = Spec({"train": {"image": Feature(IMAGE_SHAPE, "float32"),
                       "label": Feature((), "int32")}}, {"num_classes": 10})


def jax_method(config, batch: dict) -> JaxRunner:
  """The method named by `config.method`, through the project's registry
  (its first step phase; the VQ-VAE's k-means phase is not run)."""
  method = registry.build(config, SPEC)
  return JaxRunner(method, batch, seed=config.seed)


# ---------------------------------------------------------------- registry --


@dataclasses.dataclass(frozen=True)
class Benchmark:
  """One row of the table.

  Attributes:
    config: experiment file, relative to the repository root.
    torch_builder: `(config, batch, compile_step) -> TorchRunner`.
    jax_builder: `(config, batch) -> JaxRunner`.
    param_subtree: key of the JAX params that the timed step trains (the
      count compared with torch's); None counts every parameter.
  """
  config: str
  torch_builder: Callable[..., Any]
  jax_builder: Callable[..., Any] = jax_method
  param_subtree: str | None = None


BENCHMARKS = {
    "mlp_vae": Benchmark("experiments/vae_mnist.py",
                         twins_vae.torch_mlp_vae),
    "conv_vae": Benchmark("experiments/conv_vae_mnist.py",
                          twins_vae.torch_conv_vae),
    "vqvae": Benchmark("experiments/vqvae_mnist.py", twins_vqvae.torch_vqvae,
                       param_subtree="vqvae"),
    "dcgan": Benchmark("experiments/dcgan_mnist.py", twins_gan.torch_dcgan),
}


def build_pair(name: str, compile_torch: bool = False):
  """(jax runner, torch runner) of the benchmark `name`, on the same batch."""
  bench = BENCHMARKS[name]
  config = load_config(bench.config)
  batch = make_batch(config.data.batch_size)
  torch.manual_seed(config.seed)
  jax_runner = bench.jax_builder(config, batch)
  if bench.param_subtree is not None:
    jax_runner.num_params = count_params(
        jax_runner.state.params[bench.param_subtree])
  return jax_runner, bench.torch_builder(config, batch, compile_torch)


# -------------------------------------------------------------------- main --


def set_threads(threads: int) -> None:
  torch.set_num_threads(threads)
  torch.set_num_interop_threads(1)


def timed(runner, steps: int) -> float:
  """Steps per second of one window of `steps` steps."""
  start = time.perf_counter()
  runner.run(steps)
  return steps / (time.perf_counter() - start)


def xla_pool_threads() -> int | None:
  """Live XLA:CPU intra-op (Eigen) pool threads, from /proc (Linux only)."""
  tasks = pathlib.Path("/proc/self/task")
  if not tasks.is_dir():
    return None
  count = 0
  for task in tasks.iterdir():
    try:
      count += "XLAEigen" in (task / "comm").read_text()
    except OSError:
      pass
  return count


def available_cores() -> int:
  if hasattr(os, "sched_getaffinity"):
    return len(os.sched_getaffinity(0))
  return os.cpu_count() or 1


def load_average() -> float | None:
  """The 1-minute load average of the machine, where the OS gives one."""
  try:
    return os.getloadavg()[0]
  except (AttributeError, OSError):
    return None


def thread_report(threads: int) -> list[str]:
  cpus = available_cores()
  pool = xla_pool_threads()
  return [
      f"jax {jax.__version__}, jaxlib {jaxlib.__version__}, "
      f"torch {torch.__version__}; jax backend: {jax.default_backend()} "
      f"({jax.device_count()} device)",
      f"cores available: {cpus}; torch intra-op threads: "
      f"{torch.get_num_threads()}, inter-op threads: "
      f"{torch.get_num_interop_threads()} (requested --threads={threads})",
      f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}; XLA:CPU intra-op "
      f"pool threads: {'unknown' if pool is None else pool} (sized by the "
      f"runtime from the available cores)",
  ]


def main(argv: list[str] | None = None) -> float:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--rounds", type=int, default=5,
                      help="timed rounds per model (median is reported)")
  parser.add_argument("--steps", type=int, default=50,
                      help="train steps per timed window")
  parser.add_argument("--models", default="mlp_vae,conv_vae,vqvae,dcgan",
                      help=f"comma list of {', '.join(BENCHMARKS)}")
  parser.add_argument("--threads", type=int, default=0,
                      help="torch intra-op threads (0: the available cores)")
  parser.add_argument("--torch_compile", action="store_true",
                      help="torch.compile the torch loss (default: eager)")
  args = parser.parse_args(argv)
  names = [n.strip() for n in args.models.split(",") if n.strip()]
  unknown = [n for n in names if n not in BENCHMARKS]
  if unknown or not names:
    parser.error(f"unknown model(s) {unknown}; choose from "
                 f"{', '.join(BENCHMARKS)}")
  threads = args.threads or available_cores()
  set_threads(threads)
  load_before = load_average()

  pairs = {}
  for name in names:
    jax_runner, torch_runner = build_pair(name, args.torch_compile)
    if jax_runner.num_params != torch_runner.num_params:
      raise AssertionError(
          f"{name}: parameter counts differ: jax {jax_runner.num_params}, "
          f"torch {torch_runner.num_params}")
    print(f"{name}: {jax_runner.num_params} parameters (jax == torch)",
          flush=True)
    jax_runner.warmup()
    torch_runner.warmup()
    pairs[name] = (jax_runner, torch_runner)

  rates = {name: ([], []) for name in names}
  for r in range(args.rounds):
    for name in names:
      jax_runner, torch_runner = pairs[name]
      jax_rates, torch_rates = rates[name]
      if r % 2 == 0:
        jax_rates.append(timed(jax_runner, args.steps))
        torch_rates.append(timed(torch_runner, args.steps))
      else:
        torch_rates.append(timed(torch_runner, args.steps))
        jax_rates.append(timed(jax_runner, args.steps))

  for line in thread_report(threads):
    print(line)
  load_after = load_average()
  if load_before is not None and load_after is not None:
    # Machine-wide load; this process itself adds up to its thread count.
    cores = os.cpu_count() or 1
    busy = load_before > cores or load_after > cores + 1
    print(f"load average before/after: {load_before:.2f}/{load_after:.2f}"
          + (" -- other processes compete for the cores: timings are noisy "
             "and torch's OpenMP threads suffer most" if busy else ""))
  print(f"rounds={args.rounds}, steps per window={args.steps}, torch "
        f"{'compiled' if args.torch_compile else 'eager'}; median steps/s")
  print()
  print("| model | params | jax steps/s | torch steps/s | jax/torch |")
  print("| --- | ---: | ---: | ---: | ---: |")
  ratios = []
  for name in names:
    jax_sps = statistics.median(rates[name][0])
    torch_sps = statistics.median(rates[name][1])
    ratios.append(jax_sps / torch_sps)
    print(f"| {name} | {pairs[name][0].num_params} | {jax_sps:.1f} | "
          f"{torch_sps:.1f} | {ratios[-1]:.2f} |")
  print()
  best = ", ".join(f"{name} {max(rates[name][0]):.1f}/{max(rates[name][1]):.1f}"
                   for name in names)
  print(f"best windows, jax/torch steps/s: {best}")
  min_ratio = min(ratios)
  print(f"min_ratio={min_ratio:.2f}")
  return min_ratio


if __name__ == "__main__":
  main()
