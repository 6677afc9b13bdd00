"""A plain PyTorch training loop of the MLP VAE, as a user would write it.

The peer of the project's default experiment in `end_to_end.py`: the
Bernoulli MLP VAE (`twins_vae.mlp_vae`, 784-512-20 by default) on the
mnist5k split that `unsup_jax.data.sources` loads (4,000 train / 1,000
test), batch 100, Adam (torch's fused CPU kernel; a constant learning rate,
or `--schedule cosine` with `--warmup_steps`, as `optax` schedules it),
dynamic binarisation (fresh bits every batch with `torch.bernoulli`), a
shuffled epoch at a time, for `--steps` steps.
Then the test NLL by the importance-weighted bound with k samples (Burda et
al. 2016) on the test images binarised exactly as the project evaluates
them (`data.transforms.binarize_static`, `TEST_BINARIZATION_SEED`).

Prints one JSON line: steps, train_seconds (the training loop alone, data
included), test_nll, iwae_samples, threads.

  python benchmarks/torch_vae_loop.py --steps 6000
"""

import argparse
import json
import math
import os
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
for _path in (HERE.parent, HERE):
  if str(_path) not in sys.path:
    sys.path.insert(0, str(_path))

import numpy as np  # pylint: disable=g-import-not-at-top
import torch  # pylint: disable=g-import-not-at-top

import twins_vae  # pylint: disable=g-import-not-at-top
from unsup_jax.data import sources, transforms  # pylint: disable=g-import-not-at-top


def iwae_nll(model, x: torch.Tensor, k: int, chunk: int = 100) -> float:
  """Mean -L_k over `x` `[N, 1, 28, 28]` (nats), k samples in chunks."""
  total = 0.0
  with torch.no_grad():
    for start in range(0, len(x), 100):
      xb = x[start:start + 100]
      mean, logvar = model.encoder(xb).chunk(2, dim=-1)
      std = torch.exp(0.5 * logvar)
      log_w = []
      for _ in range(k // chunk):
        eps = torch.randn((chunk,) + mean.shape)
        z = mean + std * eps                                   # [C, B, D]
        logits = model.decoder(z.reshape(-1, z.shape[-1])).reshape(
            (chunk, len(xb), -1))
        flat = xb.reshape(1, len(xb), -1)
        log_px = -torch.nn.functional.binary_cross_entropy_with_logits(
            logits, flat.expand_as(logits), reduction="none").sum(-1)
        log_pz = -0.5 * (z.square() + math.log(2 * math.pi)).sum(-1)
        log_qz = -0.5 * (eps.square() + logvar + math.log(2 * math.pi)).sum(-1)
        log_w.append(log_px + log_pz - log_qz)
      log_w = torch.cat(log_w)                                 # [k, B]
      bound = torch.logsumexp(log_w, 0) - math.log(k)
      total += float(-bound.sum())
  return total / len(x)


def main(argv=None) -> dict:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--steps", type=int, default=6000)
  parser.add_argument("--batch_size", type=int, default=100)
  parser.add_argument("--learning_rate", type=float, default=1e-3)
  parser.add_argument("--schedule", choices=("constant", "cosine"),
                      default="constant")
  parser.add_argument("--warmup_steps", type=int, default=0)
  parser.add_argument("--latent_dim", type=int, default=20)
  parser.add_argument("--hidden", type=int, default=512)
  parser.add_argument("--iwae_samples", type=int, default=1000)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--threads", type=int, default=0,
                      help="torch threads (0: the cores this process may use)")
  args = parser.parse_args(argv)
  threads = args.threads or len(os.sched_getaffinity(0))
  torch.set_num_threads(threads)
  torch.set_num_interop_threads(1)
  torch.manual_seed(args.seed)
  data = sources.load("mnist5k")
  train = torch.from_numpy(np.array(
      data.split("train")["image"].transpose(0, 3, 1, 2)))
  test = torch.from_numpy(np.array(transforms.binarize_static(
      data.split("test")["image"], transforms.TEST_BINARIZATION_SEED
  ).transpose(0, 3, 1, 2)))
  model = twins_vae.mlp_vae((args.hidden,), (args.hidden,), args.latent_dim)
  optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate,
                               fused=True)
  warm, decay = args.warmup_steps, max(args.steps - args.warmup_steps, 1)

  def factor(step):   # optax: linear warm-up from 0, then cosine to 0
    if step < warm:
      return step / warm
    if args.schedule == "constant":
      return 1.0
    return 0.5 * (1 + math.cos(math.pi * min(step - warm, decay) / decay))
  scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
  start = time.perf_counter()
  step, per_epoch = 0, len(train) // args.batch_size
  while step < args.steps:
    order = torch.randperm(len(train))
    for i in range(per_epoch):
      if step == args.steps:
        break
      x = torch.bernoulli(train[order[i * args.batch_size:
                                      (i + 1) * args.batch_size]])
      optimizer.zero_grad(set_to_none=True)
      loss = twins_vae.vae_loss(model, x)
      loss.backward()
      optimizer.step()
      scheduler.step()
      step += 1
  seconds = time.perf_counter() - start
  result = {"steps": step, "train_seconds": seconds,
            "test_nll": iwae_nll(model, test, args.iwae_samples),
            "iwae_samples": args.iwae_samples, "threads": threads,
            "latent_dim": args.latent_dim, "schedule": args.schedule,
            "learning_rate": args.learning_rate,
            "final_train_loss": float(loss.detach())}
  print(json.dumps(result))
  return result


if __name__ == "__main__":
  main()
