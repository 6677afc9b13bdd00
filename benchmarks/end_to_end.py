"""The default experiment end to end against a plain PyTorch training loop.

Runs, one after the other on the same machine:

1. `python launch.py --config=experiments/vae_mnist.py` (the project's
   default, exactly as `make run` runs it, in a fresh workdir), reading its
   training time (`train_seconds_this_run`: the loop, checkpoints included,
   compilation included, quick evaluations excluded) and test NLL (IWAE,
   k = `vae.iwae_samples`) from `results.json`, and timing the whole
   command;
2. `benchmarks/torch_vae_loop.py` with the settings of a first PyTorch
   attempt: the same data and split, batch 100, dynamic binarisation, the
   784-512-20 VAE, Adam 1e-3, 6,000 steps, the same k;
3. `benchmarks/torch_vae_loop.py` with the default experiment's own recipe
   (latent size, learning rate and schedule, steps), so that model and
   optimisation are the same on both sides and only the framework differs.

Prints both training times, both test NLLs and the ratios. `--rounds 2`
repeats the three in alternating order. Threads: torch uses as many as the
cores this process may use; XLA:CPU sizes its pool the same way.

  pip install -r benchmarks/requirements.txt
  python benchmarks/end_to_end.py
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from unsup_jax.configs import files  # pylint: disable=g-import-not-at-top

CONFIG = "experiments/vae_mnist.py"


def run_jax() -> dict:
  with tempfile.TemporaryDirectory() as workdir:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(REPO / "launch.py"), f"--config={CONFIG}",
         f"--workdir={workdir}", "--progress=false"], cwd=REPO,
        capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode:
      raise RuntimeError(proc.stderr[-3000:])
    with open(os.path.join(workdir, "results.json")) as f:
      r = json.load(f)
  return {"train_seconds": r["train_seconds_this_run"],
          "test_nll": r["test_nll"], "steps": r["steps"],
          "iwae_samples": r["test_iwae_samples"], "wall_seconds": wall}


def run_torch(args: list[str]) -> dict:
  start = time.perf_counter()
  proc = subprocess.run([sys.executable, str(HERE / "torch_vae_loop.py"),
                         *args], cwd=REPO, capture_output=True, text=True)
  wall = time.perf_counter() - start
  if proc.returncode:
    raise RuntimeError(proc.stderr[-3000:])
  out = json.loads(proc.stdout.strip().splitlines()[-1])
  out["wall_seconds"] = wall
  return out


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--rounds", type=int, default=1)
  args = parser.parse_args(argv)
  c = files.load_experiment(CONFIG, field="benchmark")
  k = str(c.vae.iwae_samples)
  baseline = ["--steps", "6000", "--iwae_samples", k]
  recipe = ["--steps", str(c.train.num_steps), "--iwae_samples", k,
            "--latent_dim", str(c.vae.latent_dim),
            "--hidden", str(c.vae.encoder_hidden[0]),
            "--learning_rate", str(c.optim.learning_rate),
            "--schedule", c.optim.schedule,
            "--warmup_steps", str(c.optim.warmup_steps)]
  assert tuple(c.vae.encoder_hidden) == tuple(c.vae.decoder_hidden) and len(
      c.vae.encoder_hidden) == 1 and c.data.batch_size == 100
  runs = {"jax": [], "torch_baseline": [], "torch_recipe": []}
  order = [("jax", run_jax), ("torch_baseline", lambda: run_torch(baseline)),
           ("torch_recipe", lambda: run_torch(recipe))]
  for r in range(args.rounds):
    for name, fn in (order if r % 2 == 0 else order[::-1]):
      runs[name].append(fn())
      print(name, json.dumps(runs[name][-1]), flush=True)
  med = {n: {key: statistics.median(x[key] for x in v)
             for key in ("train_seconds", "test_nll", "wall_seconds")}
         for n, v in runs.items()}
  print()
  print(f"rounds={args.rounds}, IWAE k={k}; medians")
  print()
  print("| run | model, optimiser | steps | training s | command s | test NLL |")
  print("| --- | --- | ---: | ---: | ---: | ---: |")
  recipe_text = (f"784-512-{c.vae.latent_dim}, Adam {c.optim.learning_rate:g}"
                 f" {c.optim.schedule}, warm-up {c.optim.warmup_steps}")
  rows = [("jax: `make run` (vae_mnist)", recipe_text, c.train.num_steps),
          ("torch: plain loop", "784-512-20, Adam 0.001 constant", 6000),
          ("torch: plain loop, same recipe", recipe_text, c.train.num_steps)]
  for (label, what, steps), name in zip(rows, runs):
    m = med[name]
    print(f"| {label} | {what} | {steps} | {m['train_seconds']:.1f} | "
          f"{m['wall_seconds']:.1f} | {m['test_nll']:.2f} |")
  print()
  j, tb, tr = med["jax"], med["torch_baseline"], med["torch_recipe"]
  print(f"time_ratio_vs_baseline={j['train_seconds'] / tb['train_seconds']:.2f}"
        f" nll_gain_vs_baseline={tb['test_nll'] - j['test_nll']:.2f}")
  print(f"time_ratio_same_recipe={j['train_seconds'] / tr['train_seconds']:.2f}"
        f" nll_gap_same_recipe={tr['test_nll'] - j['test_nll']:.2f}")


if __name__ == "__main__":
  main()
