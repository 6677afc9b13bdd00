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

Adding a model: write a torch builder
`(config, batch, compile_step) -> TorchRunner` (or any runner with `model`,
`num_params`, `warmup()` and `run(steps)`; and, if the method is not a
plain `registry.build` one, a JAX builder `(config, batch) -> JaxRunner`) and
add one `Benchmark` entry to `BENCHMARKS`. When the method's params hold
networks the timed step does not train (the VQ-VAE's prior), the entry's
`param_subtree` names the part whose parameters are counted.

VQ-VAE (van den Oord et al. 2017, arXiv:1711.00937): the timed step is the
first phase (autoencoder and EMA codebook), not the prior's. The JAX step 0
(k-means start of the codebook) falls in the warm-up; the torch codebook
starts from random normal rows with no k-means, so every timed step on both
sides is the same EMA step (see `vqvae_loss`).

DCGAN (Radford et al. 2016, arXiv:1511.06434; non-saturating loss of
Goodfellow et al. 2014, arXiv:1406.2661): one step is `n_critic` (1)
discriminator updates on the batch and fresh noise, then one generator
update on fresh noise, each network with its own Adam(2e-4, 0.5, 0.999);
both networks' parameters are counted. The generator's batch-norm running
variance is torch's unbiased one (Flax keeps the biased one); it is read
only when sampling in evaluation mode, never in the timed step.

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


def count_params(tree) -> int:
  """Number of scalars in a pytree of arrays."""
  return sum(int(np.prod(x.shape)) for x in jax.tree.leaves(tree))


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
    self.num_params = count_params(self.state.params)

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
  starts as random normal rows (no k-means; see the module docstring).
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

  As `unsup_jax/methods/vqvae.py:vq_step` (levels=1): the reconstruction
  term is the mean squared error over every pixel, the commitment term the
  mean over every element of z; the codebook is updated (in place, no
  gradient) with the codes assigned before the update.
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
                ) -> TorchRunner:
  """VQ-VAE (`vq.levels` 1) with its EMA codebook and dead-code restarts."""
  if config.method != "vqvae" or config.vq.levels != 1:
    raise ValueError("the torch VQ-VAE twin implements one level only, got "
                     f"method={config.method!r}")
  return TorchRunner(TorchVQVAE(config.vq, IMAGE_SHAPE), vqvae_loss, batch,
                     config.optim.learning_rate, compile_step)


class TorchDCGAN(nn.Module):
  """DCGAN as `unsup_jax/models/gan.py`, channels-first.

  Generator: Linear -> BatchNorm1d -> ReLU -> `[B, ch, H/s, W/s]`, then per
  upsampling a 4x4 stride-2 transposed conv (`UpConv2x`), BatchNorm2d and
  ReLU, the last one to the image channels and a sigmoid; no biases before
  a batch norm. Discriminator: 4x4
  stride-2 convs (`DownConv2x`, channels doubling) with leaky ReLU 0.2, then
  Linear to one logit. padding=1 is Flax's "SAME" on these even sizes. The
  batch norms are Flax's defaults: eps 1e-5, momentum 0.9 (torch's 0.1).
  """

  def __init__(self, g, image_shape: tuple[int, int, int]):
    super().__init__()
    h, w, c = image_shape
    s = 2 ** g.num_scales
    ch = g.g_channels
    layers = [nn.Linear(g.noise_dim, (h // s) * (w // s) * ch, bias=False),
              nn.BatchNorm1d((h // s) * (w // s) * ch, momentum=0.1),
              nn.ReLU(), nn.Unflatten(1, (ch, h // s, w // s))]
    for _ in range(g.num_scales - 1):
      layers += [nn.ConvTranspose2d(ch, ch // 2, 4, stride=2, padding=1,
                                    bias=False),
                 nn.BatchNorm2d(ch // 2, momentum=0.1), nn.ReLU()]
      ch //= 2
    layers += [nn.ConvTranspose2d(ch, c, 4, stride=2, padding=1),
               nn.Sigmoid()]
    self.generator = nn.Sequential(*layers)
    layers, prev, ch = [], c, g.d_channels
    for _ in range(g.num_scales):
      layers += [nn.Conv2d(prev, ch, 4, stride=2, padding=1),
                 nn.LeakyReLU(0.2)]
      prev, ch = ch, ch * 2
    self.discriminator = nn.Sequential(
        *layers, nn.Flatten(), nn.Linear(prev * (h // s) * (w // s), 1))


def dcgan_d_loss(model: TorchDCGAN, x: torch.Tensor,
                 z: torch.Tensor) -> torch.Tensor:
  """-E log D(x) - E log(1 - D(G(z))); G runs in training mode, no grad."""
  with torch.no_grad():
    fake = model.generator(z)
  real_logits = model.discriminator(x)[:, 0]
  fake_logits = model.discriminator(fake)[:, 0]
  return (F.binary_cross_entropy_with_logits(
      real_logits, torch.ones_like(real_logits))
          + F.binary_cross_entropy_with_logits(
              fake_logits, torch.zeros_like(fake_logits)))


def dcgan_g_loss(model: TorchDCGAN, z: torch.Tensor) -> torch.Tensor:
  """Non-saturating generator loss -E log D(G(z))."""
  logits = model.discriminator(model.generator(z))[:, 0]
  return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))


class TorchGANRunner:
  """`n_critic` D updates (fresh noise each), then one G update.

  As `unsup_jax/methods/gan.py:train_step`: each network has its own fused
  Adam. While D trains, the generator's batch norms use batch statistics
  but leave their running averages alone (momentum 0), as the JAX D update
  discards them; while G trains, D's parameters need no gradient.
  """

  def __init__(self, model: TorchDCGAN, g, batch: dict,
               compile_step: bool = False):
    self.model, self.n_critic, self.noise_dim = model, g.n_critic, g.noise_dim
    self.x = torch.from_numpy(
        np.ascontiguousarray(batch["image"].transpose(0, 3, 1, 2)))
    adam = lambda m, lr: torch.optim.Adam(  # pylint: disable=g-long-lambda
        m.parameters(), lr=lr, betas=(g.beta1, g.beta2), fused=True)
    self.d_opt = adam(model.discriminator, g.d_learning_rate)
    self.g_opt = adam(model.generator, g.g_learning_rate)
    wrap = torch.compile if compile_step else (lambda f: f)
    self.d_loss, self.g_loss = wrap(dcgan_d_loss), wrap(dcgan_g_loss)
    self.norms = [m for m in model.generator
                  if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    self.num_params = sum(p.numel() for p in model.parameters())

  def _set_d_training(self, on: bool) -> None:
    for p in self.model.discriminator.parameters():
      p.requires_grad_(on)
    for m in self.norms:
      m.momentum = 0.0 if on else 0.1

  def step(self, d_noise=None, g_noise=None):
    """One train step; `d_noise` (`n_critic` `[B, Z]`), `g_noise` (`[B, Z]`)
    default to fresh normal noise. Returns (last D loss, G loss)."""
    b = self.x.shape[0]
    self._set_d_training(True)
    for i in range(self.n_critic):
      z = (torch.randn(b, self.noise_dim) if d_noise is None
           else d_noise[i])
      self.d_opt.zero_grad(set_to_none=True)
      d_loss = self.d_loss(self.model, self.x, z)
      d_loss.backward()
      self.d_opt.step()
    self._set_d_training(False)
    z = torch.randn(b, self.noise_dim) if g_noise is None else g_noise
    self.g_opt.zero_grad(set_to_none=True)
    g_loss = self.g_loss(self.model, z)
    g_loss.backward()
    self.g_opt.step()
    return d_loss, g_loss

  def warmup(self) -> None:
    self.run(TORCH_WARMUP_STEPS)

  def run(self, steps: int) -> None:
    for _ in range(steps):
      self.step()


def torch_dcgan(config, batch: dict, compile_step: bool = False
                ) -> TorchGANRunner:
  """DCGAN with the non-saturating loss and no penalties."""
  g = config.gan
  if (config.method != "gan" or g.loss != "non_saturating"
      or g.gradient_penalty or g.r1_gamma):
    raise ValueError("the torch DCGAN twin implements the non-saturating "
                     "loss without penalties, got "
                     f"method={config.method!r}, loss={g.get('loss')!r}")
  return TorchGANRunner(TorchDCGAN(g, IMAGE_SHAPE), g, batch, compile_step)


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
    "mlp_vae": Benchmark("experiments/vae_mnist.py", torch_mlp_vae),
    "conv_vae": Benchmark("experiments/conv_vae_mnist.py", torch_conv_vae),
    "vqvae": Benchmark("experiments/vqvae_mnist.py", torch_vqvae,
                       param_subtree="vqvae"),
    "dcgan": Benchmark("experiments/dcgan_mnist.py", torch_dcgan),
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
