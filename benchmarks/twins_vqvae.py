"""PyTorch twin of the project's one-level VQ-VAE, first training phase.

VQ-VAE: van den Oord et al. 2017, arXiv:1711.00937. The twin mirrors
`experiments/vqvae_mnist.py` (the `vqvae` row of `train_throughput.py`):
the autoencoder step with its EMA codebook and dead-code restarts, under
`twins_common.TorchRunner`; the PixelCNN prior (a later phase) is not timed.
"""

import torch
from torch import nn
from torch.nn import functional as F

import twins_common


class TorchResidualStack(nn.Module):
  """x + conv1x1(relu(conv3x3(relu(x)))) per block, a ReLU after the stack.

  `unsup_jax/nn/resnet.py:ResidualStack`, channels-first.
  """

  def __init__(self, channels: int, hidden: int, num_blocks: int):
    super().__init__()
    self.blocks = nn.ModuleList(
        nn.Sequential(nn.ReLU(), nn.Conv2d(channels, hidden, 3, padding=1),
                      nn.ReLU(), nn.Conv2d(hidden, channels, 1))
        for _ in range(num_blocks))

  def forward(self, x: torch.Tensor) -> torch.Tensor:
    for block in self.blocks:
      x = x + block(x)
    return F.relu(x)


def torch_ema_update(counts: torch.Tensor, sums: torch.Tensor,
                     z: torch.Tensor, indices: torch.Tensor, *, decay: float,
                     epsilon: float):
  """`ops.quantize.ema_update` in torch: EMA of counts and sums, Laplace.

  Args:
    counts: `[K]` EMA counts.
    sums: `[K, D]` EMA sums of the assigned vectors.
    z: `[N, D]` encoder outputs.
    indices: `[N]` int64 assigned codes.
    decay: EMA decay.
    epsilon: Laplace smoothing of the counts.

  Returns:
    (codebook `[K, D]`, counts `[K]`, sums `[K, D]`, batch counts `[K]`).
  """
  num_codes = counts.shape[0]
  batch_counts = torch.bincount(indices, minlength=num_codes).to(z.dtype)
  batch_sums = torch.zeros_like(sums).index_add_(0, indices, z)
  counts = decay * counts + (1 - decay) * batch_counts
  sums = decay * sums + (1 - decay) * batch_sums
  total = counts.sum()
  smoothed = (counts + epsilon) / (total + num_codes * epsilon) * total
  return sums / smoothed[:, None], counts, sums, batch_counts


class TorchVQVAE(nn.Module):
  """One-level VQ-VAE as `unsup_jax/models/vqvae.py`, EMA codebook buffers.

  The codebook state (codebook, counts, sums, unused-step counters) and the
  moving average of the squared error per pixel are buffers, not parameters,
  as they are the JAX method's non-gradient `extra` state. The codebook
  starts as random normal rows (no k-means; see `train_throughput.py`'s
  docstring).
  """

  def __init__(self, v, image_shape: tuple[int, int, int]):
    super().__init__()
    h, w, c = image_shape
    self.num_codes, self.dim = v.num_codes, v.embedding_dim
    self.beta, self.decay, self.epsilon = v.commitment, v.decay, v.epsilon
    self.restart_after = v.restart_after
    layers, prev = [], c
    for i in range(v.num_down):  # "SAME" on even sizes pads (1, 1)
      ch = v.hidden if i == v.num_down - 1 else v.hidden // 2
      layers += [nn.Conv2d(prev, ch, 4, stride=2, padding=1), nn.ReLU()]
      prev = ch
    self.encoder = nn.Sequential(
        *layers, nn.Conv2d(prev, v.hidden, 3, padding=1),
        TorchResidualStack(v.hidden, v.residual_hidden, v.num_residual),
        nn.Conv2d(v.hidden, v.embedding_dim, 1))
    layers = [nn.Conv2d(v.embedding_dim, v.hidden, 3, padding=1),
              TorchResidualStack(v.hidden, v.residual_hidden, v.num_residual)]
    prev = v.hidden
    for i in range(v.num_down):  # `nn/conv.py:UpConv2x`
      last = i == v.num_down - 1
      ch = c if last else v.hidden // 2
      layers.append(nn.ConvTranspose2d(prev, ch, 4, stride=2, padding=1))
      layers += [] if last else [nn.ReLU()]
      prev = ch
    self.decoder = nn.Sequential(*layers)
    codebook = torch.randn(v.num_codes, v.embedding_dim)
    self.register_buffer("codebook", codebook)
    self.register_buffer("counts", torch.ones(v.num_codes))
    self.register_buffer("sums", codebook.clone())
    self.register_buffer("unused", torch.zeros(v.num_codes, dtype=torch.int32))
    self.register_buffer("sq_error", torch.zeros(c, h, w))
    self.perplexity = None

  @torch.no_grad()
  def nearest(self, z: torch.Tensor) -> torch.Tensor:
    """`[N, D]` -> `[N]` nearest code, via ||z||^2 - 2 z.e + ||e||^2."""
    e = self.codebook
    d2 = (z.square().sum(1, keepdim=True) - 2.0 * z @ e.T
          + e.square().sum(1)[None, :])
    return d2.argmin(1)

  @torch.no_grad()
  def update_codebook(self, z: torch.Tensor, indices: torch.Tensor) -> None:
    """`ops.quantize.update_codebook`'s training branch, in place.

    EMA step, unused-step counters, then every code unused for
    `restart_after` steps becomes a random row of `z` (`[N, D]`), its counts
    reset to 1; the candidates are drawn every step, as on the JAX side.
    """
    codebook, counts, sums, used = torch_ema_update(
        self.counts, self.sums, z, indices, decay=self.decay,
        epsilon=self.epsilon)
    unused = torch.where(used > 0, 0, self.unused + 1)
    if self.restart_after > 0:
      n = z.shape[0]
      pick = (torch.randperm(n)[:self.num_codes] if n >= self.num_codes
              else torch.randint(n, (self.num_codes,)))
      fresh = z[pick]
      dead = unused >= self.restart_after
      codebook = torch.where(dead[:, None], fresh, codebook)
      sums = torch.where(dead[:, None], fresh, sums)
      counts = torch.where(dead, 1.0, counts)
      unused = torch.where(dead, 0, unused)
    self.codebook.copy_(codebook)
    self.counts.copy_(counts)
    self.sums.copy_(sums)
    self.unused.copy_(unused)
    p = used / used.sum().clamp_min(1.0)  # the JAX step's perplexity metric
    self.perplexity = torch.exp(-torch.sum(torch.where(
        p > 0, p * torch.log(torch.where(p > 0, p, 1.0)), 0.0)))


def vqvae_loss(model: TorchVQVAE, x: torch.Tensor) -> torch.Tensor:
  """MSE + beta ||z - sg[e]||^2, straight-through; then the EMA step.

  As `unsup_jax/methods/discrete/vqvae.py:vq_step` (levels=1): the
  reconstruction term is the mean squared error over every pixel, the
  commitment term the mean over every element of z; the codebook is
  updated (in place, no gradient) with the codes assigned before the
  update.
  """
  z = model.encoder(x)                                  # [B, D, h, w]
  b, d, h, w = z.shape
  flat = z.permute(0, 2, 3, 1).reshape(-1, d)           # [B h w, D]
  indices = model.nearest(flat.detach())
  codes = model.codebook[indices]
  quantized = flat + (codes - flat).detach()            # straight-through
  recon = model.decoder(quantized.reshape(b, h, w, d).permute(0, 3, 1, 2))
  sq_error = (recon - x).square().mean(0)               # [C, H, W]
  loss = sq_error.mean() + model.beta * (flat - codes).square().mean()
  model.update_codebook(flat.detach(), indices)
  with torch.no_grad():
    model.sq_error.mul_(0.99).add_(0.01 * sq_error)
  return loss


def torch_vqvae(config, batch: dict, compile_step: bool = False
                ) -> twins_common.TorchRunner:
  """VQ-VAE (`vq.levels` 1) with its EMA codebook and dead-code restarts."""
  if config.method != "vqvae" or config.vq.levels != 1:
    raise ValueError("the torch VQ-VAE twin implements one level only, got "
                     f"method={config.method!r}")
  return twins_common.TorchRunner(
      TorchVQVAE(config.vq, twins_common.IMAGE_SHAPE), vqvae_loss, batch,
      config.optim.learning_rate, compile_step)
