"""Shared pieces of the PyTorch twins of `train_throughput.py`.

The image shape of the benchmark batch, the number of torch warm-up steps
and `TorchRunner`, the generic torch train step (zero_grad, loss, backward,
Adam step; Adam: Kingma & Ba 2015, arXiv:1412.6980) that the VAE and VQ-VAE
twins run under. The timing rules are in `train_throughput.py`'s docstring.
"""

from typing import Callable

import numpy as np
import torch
from torch import nn

IMAGE_SHAPE = (28, 28, 1)  # (H, W, C) of MNIST
TORCH_WARMUP_STEPS = 5


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
