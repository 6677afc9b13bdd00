"""Train-step throughput: the project's JAX methods against PyTorch twins.

For each model the JAX side is the project's real training step: the method
built by `unsup_jax.methods.registry.build` from an experiment's
`get_config()`, its state from `method.init`, compiled with
`unsup_jax.training.parallel.Engine(method.train_step, "jit")` (which donates
the state). The PyTorch side is the same architecture written in `torch.nn`
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

Adding a model (VQ-VAE, DCGAN...): write a torch builder
`(config, batch, compile_step) -> TorchRunner` (and, if the method is not a
plain `registry.build` one, a JAX builder `(config, batch) -> JaxRunner`) and
add one `Benchmark` entry to `BENCHMARKS`.

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

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
  sys.path.insert(0, str(REPO))

import jax  # pylint: disable=g-import-not-at-top
import jaxlib
import torch
from torch import nn
from torch.nn import functional as F

from unsup_jax.methods import registry
from unsup_jax.training import parallel

IMAGE_SHAPE = (28, 28, 1)  # (H, W, C) of MNIST
TORCH_WARMUP_STEPS = 5


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


class JaxRunner:
  """Runs the project's compiled train step on a fixed, device-resident batch.

  The batch is put on the device once (as the torch side builds its tensor
  once), so a timed window measures the step, not the host-to-device copy.
  """

  def __init__(self, method, batch: dict, seed: int = 0):
    self.engine = parallel.Engine(method.train_step, "jit")
    self.state = self.engine.put_state(
        method.init(jax.random.key(seed), batch))
    self.batch = jax.device_put(self.engine.put_batch(batch))
    self.metrics = None
    self.num_params = sum(int(np.prod(x.shape))
                          for x in jax.tree.leaves(self.state.params))

  def warmup(self) -> None:
    self.run(2)  # the first call compiles

  def run(self, steps: int) -> None:
    """`steps` train steps, blocking on the result at the end."""
    state, metrics = self.state, self.metrics
    for _ in range(steps):
      state, metrics = self.engine.step(state, self.batch)  # donates `state`
    self.state, self.metrics = jax.block_until_ready((state, metrics))


def jax_method(config, batch: dict) -> JaxRunner:
  """The method named by `config.method`, through the project's registry."""
  method = registry.build(config, IMAGE_SHAPE)
  return JaxRunner(method, batch, seed=config.seed)


# -------------------------------------------------------------- torch side --


class TorchRunner:
  """Runs a torch train step: zero_grad, loss, backward, Adam step.

  Adam is torch's fused CPU kernel (`fused=True`), its fastest variant here;
  the loss is eager unless `compile_step` (then `torch.compile`d).
  """

  def __init__(self, model: nn.Module, loss_fn: Callable, batch: dict,
               learning_rate: float, compile_step: bool = False):
    self.model = model
    # NHWC -> NCHW once, outside the timed windows.
    self.x = torch.from_numpy(
        np.ascontiguousarray(batch["image"].transpose(0, 3, 1, 2)))
    self.optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate,
                                      fused=True)
    self.loss_fn = torch.compile(loss_fn) if compile_step else loss_fn
    self.num_params = sum(p.numel() for p in model.parameters())

  def step(self) -> None:
    self.optimizer.zero_grad(set_to_none=True)
    loss = self.loss_fn(self.model, self.x)
    loss.backward()
    self.optimizer.step()

  def warmup(self) -> None:
    self.run(TORCH_WARMUP_STEPS)

  def run(self, steps: int) -> None:
    for _ in range(steps):
      self.step()


def vae_loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
  """Negative ELBO, Bernoulli decoder: BCE summed over pixels + analytic KL.

  Both terms are summed per example and averaged over the batch, with one
  reparameterised sample z = mean + exp(logvar / 2) * eps.
  """
  mean, logvar = model.encoder(x).chunk(2, dim=-1)
  z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
  logits = model.decoder(z)
  rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
  kl = 0.5 * torch.sum(mean.square() + logvar.exp() - 1.0 - logvar)
  return (rec + kl) / x.shape[0]


class TorchVAE(nn.Module):
  """Holds an encoder `x -> [B, 2 * latent]` and a decoder `z -> logits`."""

  def __init__(self, encoder: nn.Module, decoder: nn.Module):
    super().__init__()
    self.encoder = encoder
    self.decoder = decoder


def _mlp(widths: list[int], activate_final: bool) -> list[nn.Module]:
  layers = []
  for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
    layers.append(nn.Linear(n_in, n_out))
    if i < len(widths) - 2 or activate_final:
      layers.append(nn.ReLU())
  return layers


def _check_vae_config(config) -> None:
  if config.method != "vae" or config.model.likelihood != "bernoulli":
    raise ValueError("the torch VAE twins implement the Bernoulli VAE only, "
                     f"got method={config.method!r}, "
                     f"likelihood={config.model.likelihood!r}")


def torch_mlp_vae(config, batch: dict, compile_step: bool = False
                  ) -> TorchRunner:
  """MLP VAE: 784-hidden-(2 x latent) encoder, latent-hidden-784 decoder."""
  _check_vae_config(config)
  m = config.model
  h, w, c = IMAGE_SHAPE
  size = h * w * c
  encoder = nn.Sequential(
      nn.Flatten(),
      *_mlp([size, *m.encoder_hidden], activate_final=True),
      nn.Linear(list(m.encoder_hidden)[-1], 2 * m.latent_dim))
  decoder = nn.Sequential(
      *_mlp([m.latent_dim, *m.decoder_hidden, size], activate_final=False),
      nn.Unflatten(1, (c, h, w)))
  return TorchRunner(TorchVAE(encoder, decoder), vae_loss, batch,
                     config.optim.learning_rate, compile_step)


def torch_conv_vae(config, batch: dict, compile_step: bool = False
                   ) -> TorchRunner:
  """Conv VAE as `unsup_jax.nn.conv`: 4x4 stride-2 convs, 3x3 output conv.

  padding=1 on the 4x4 stride-2 (transposed) convolutions gives the same
  shapes and the same (1, 1) padding as Flax's "SAME" on even sizes.
  """
  _check_vae_config(config)
  m = config.model
  h, w, c = IMAGE_SHAPE
  enc_ch, dec_ch = list(m.encoder_hidden), list(m.decoder_hidden)
  layers, prev = [], c
  for ch in enc_ch:
    layers += [nn.Conv2d(prev, ch, 4, stride=2, padding=1), nn.ReLU()]
    prev = ch
  scale = 2 ** len(enc_ch)
  encoder = nn.Sequential(
      *layers, nn.Flatten(),
      nn.Linear(prev * (h // scale) * (w // scale), 2 * m.latent_dim))
  scale = 2 ** len(dec_ch)
  hs, ws = h // scale, w // scale
  layers, prev = [], dec_ch[0]
  for ch in dec_ch:
    layers += [nn.ConvTranspose2d(prev, ch, 4, stride=2, padding=1),
               nn.ReLU()]
    prev = ch
  decoder = nn.Sequential(
      nn.Linear(m.latent_dim, hs * ws * dec_ch[0]), nn.ReLU(),
      nn.Unflatten(1, (dec_ch[0], hs, ws)),
      *layers, nn.Conv2d(prev, c, 3, padding=1))
  return TorchRunner(TorchVAE(encoder, decoder), vae_loss, batch,
                     config.optim.learning_rate, compile_step)


# ---------------------------------------------------------------- registry --


@dataclasses.dataclass(frozen=True)
class Benchmark:
  """One row of the table.

  Attributes:
    config: experiment file, relative to the repository root.
    torch_builder: `(config, batch, compile_step) -> TorchRunner`.
    jax_builder: `(config, batch) -> JaxRunner`.
  """
  config: str
  torch_builder: Callable[..., Any]
  jax_builder: Callable[..., Any] = jax_method


BENCHMARKS = {
    "mlp_vae": Benchmark("experiments/vae_mnist.py", torch_mlp_vae),
    "conv_vae": Benchmark("experiments/conv_vae_mnist.py", torch_conv_vae),
}


def build_pair(name: str, compile_torch: bool = False):
  """(jax runner, torch runner) of the benchmark `name`, on the same batch."""
  bench = BENCHMARKS[name]
  config = load_config(bench.config)
  batch = make_batch(config.data.batch_size)
  torch.manual_seed(config.seed)
  return (bench.jax_builder(config, batch),
          bench.torch_builder(config, batch, compile_torch))


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
  parser.add_argument("--models", default="mlp_vae,conv_vae",
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
