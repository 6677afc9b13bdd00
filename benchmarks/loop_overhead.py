"""The training loop against its own compiled step: how much does the loop cost?

For each model (the default MLP VAE, `experiments/vae_mnist.py`, and the
conv VAE, `experiments/conv_vae_mnist.py`) two things run in one process,
interleaved for `--rounds` rounds:

* loop: the real `unsup_jax.training.loop.train` on the experiment's data,
  as the experiment configures logging (`train.log_every`), checkpoints
  (`train.checkpoint_every`, orbax) and the progress bar, for `--steps`
  steps in a fresh workdir; periodic evaluation is off (`train.eval_every =
  0`). Its steps/s is measured by the loop itself over every log window but
  the first (which holds the compilation): steps after the first log step
  divided by the time from that log step to the end of training
  (checkpoint writes included).
* bare: the same compiled computation on one fixed, device-resident batch
  in a Python loop, `jax.block_until_ready` at the end: the data layer's
  per-step transform (dynamic binarisation, drawn inside the step) then the
  method's step, jitted with the state donated. `bare_no_transform` is the
  method's step alone on a fixed binary batch, for reference.

The ratio loop / bare is printed per model; the last line is
`min_loop_ratio=<lowest>`. Threads: XLA:CPU's pool is sized by the runtime
from the cores the process may use; nothing is overridden.

Usage:
  python benchmarks/loop_overhead.py --rounds 3
  python benchmarks/loop_overhead.py --models mlp_vae --steps_per_call 8
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import jax  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top

from unsup_jax.configs import files  # pylint: disable=g-import-not-at-top
from unsup_jax.data import loader  # pylint: disable=g-import-not-at-top
from unsup_jax.methods import registry  # pylint: disable=g-import-not-at-top
from tests.helpers import Engine  # pylint: disable=g-import-not-at-top
from unsup_jax.training import loop, program  # pylint: disable=g-import-not-at-top
from unsup_jax.training.contract import step_phases  # pylint: disable=g-import-not-at-top

MODELS = {"mlp_vae": ("experiments/vae_mnist.py", 2000),
          "conv_vae": ("experiments/conv_vae_mnist.py", 300)}


def loop_rate(config, method, data) -> float:
  """Steady-state steps/s of one `loop.train` call (see the docstring)."""
  with tempfile.TemporaryDirectory() as workdir:
    loop.train(config, method, data, workdir, progress=True)
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
      records = [json.loads(l) for l in f]
  windows = [r for r in records if "steps_per_sec" in r]
  steps = np.diff([0] + [r["step"] for r in windows])[1:]
  seconds = [n / r["steps_per_sec"] for n, r in zip(steps, windows[1:])]
  return float(np.sum(steps) / np.sum(seconds))


class Bare:
  """The compiled step on a fixed device batch."""

  def __init__(self, method, data, transform: bool):
    step = step_phases(method)[0].step
    batch = data.iterator("train").batch_at(0)
    if transform:
      step = program.with_transform(step, "train", data.transform,
                                    {"train": 0})
    else:  # the step alone, on a batch binarised once
      batch = jax.tree.map(np.asarray, data.transform(0, batch, 0, 0))
    self.engine = Engine(step, "jit")
    self.state = self.engine.put_state(method.init(jax.random.key(0), batch))
    self.batch = jax.device_put(batch)
    self.run(3)  # compiles

  def run(self, steps: int) -> float:
    state = self.state
    start = time.perf_counter()
    for _ in range(steps):
      state, metrics = self.engine.step(state, self.batch)
    self.state, _ = jax.block_until_ready((state, metrics))
    return steps / (time.perf_counter() - start)


def main(argv=None) -> float:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--models", default="mlp_vae,conv_vae")
  parser.add_argument("--steps", type=int, default=0,
                      help="steps per loop run (0: per model default)")
  parser.add_argument("--steps_per_call", type=int, default=0,
                      help="override train.steps_per_call (0: the config's)")
  args = parser.parse_args(argv)
  names = [n for n in args.models.split(",") if n]
  rows, ratios = [], []
  for name in names:
    path, default_steps = MODELS[name]
    config = files.load_experiment(path, field="benchmark")
    config.train.num_steps = args.steps or default_steps
    config.train.eval_every = 0
    config.train.parallel = "jit"
    if args.steps_per_call:
      config.train.steps_per_call = args.steps_per_call
    data = loader.load(config)
    method = registry.build(config, data.spec())
    bare, plain = Bare(method, data, True), Bare(method, data, False)
    loops, bares, plains = [], [], []
    for r in range(args.rounds):
      first, second = ((loops, bares) if r % 2 == 0 else (bares, loops))
      for out in (first, second):
        if out is loops:
          loops.append(loop_rate(config, method, data))
        else:
          bares.append(bare.run(config.train.num_steps))
      plains.append(plain.run(config.train.num_steps))
    lo, ba, pl = (statistics.median(v) for v in (loops, bares, plains))
    ratios.append(lo / ba)
    rows.append(f"| {name} | {config.data.batch_size} | "
                f"{config.train.steps_per_call} | {lo:.1f} | {ba:.1f} | "
                f"{pl:.1f} | {lo / ba:.2f} |")
    print(f"{name}: loop {[round(x, 1) for x in loops]}, bare "
          f"{[round(x, 1) for x in bares]}, bare without transform "
          f"{[round(x, 1) for x in plains]} steps/s", flush=True)
  print(f"jax {jax.__version__}, backend {jax.default_backend()}, "
        f"{os.cpu_count()} cores, rounds={args.rounds}; median steps/s")
  print()
  print("| model | batch | steps/call | loop | bare step | bare step without "
        "transform | loop / bare |")
  print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
  print("\n".join(rows))
  print()
  result = min(ratios)
  print(f"min_loop_ratio={result:.2f}")
  return result


if __name__ == "__main__":
  main()
