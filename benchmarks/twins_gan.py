"""PyTorch twin of the project's DCGAN and its two-optimiser train step.

DCGAN: Radford et al. 2016, arXiv:1511.06434; non-saturating loss of
Goodfellow et al. 2014, arXiv:1406.2661; R1 penalty of Mescheder et al.
2018, arXiv:1801.04406, lazily on every `r1_every`-th step and weighted
`r1_every` times (Karras et al. 2020, arXiv:1912.04958); a moving average
of the generator (Karras et al. 2018, arXiv:1710.10196). The twin mirrors
`experiments/dcgan_mnist.py` (the `dcgan` row of `train_throughput.py`),
i.e. `unsup_jax/methods/adversarial/gan.py:train_step` with that recipe,
and runs under its own `TorchGANRunner` (one Adam per network).

What it does not implement (spectral norm, DiffAugment, label smoothing,
WGAN-GP, the other losses) `torch_dcgan` refuses, naming the field.
Like the other twins it has no counterpart of `apply_gradients`' skip of a
non-finite update (a finiteness check of the loss and gradients).
"""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

import twins_common


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
  """-E log D(x) - E log(1 - D(G(z))), without the penalty.

  As `gan.d_loss`: G runs in training mode without gradients, and D scores
  the real and the generated batch in one forward pass (no batch norm in
  D, so each logit depends on its own image only).
  """
  with torch.no_grad():
    fake = model.generator(z)
  logits = model.discriminator(torch.cat([x, fake]))[:, 0]
  b = x.shape[0]
  return F.softplus(-logits[:b]).mean() + F.softplus(logits[b:]).mean()


def r1_penalty(discriminator: nn.Module, x: torch.Tensor) -> torch.Tensor:
  """R1: E ||grad_x D(x)||^2 on real `x` `[B, C, H, W]`, unscaled.

  As `losses/gradient_penalty.py:r1_penalty`: the input gradient of the
  summed logits (one backward pass; each logit depends on its own image),
  kept in the graph (`create_graph`) so that the penalty's gradient with
  respect to D's parameters is a double backward.
  """
  x = x.detach().requires_grad_(True)
  (grad,) = torch.autograd.grad(discriminator(x).sum(), x, create_graph=True)
  return grad.square().flatten(1).sum(1).mean()


def dcgan_g_loss(model: TorchDCGAN, z: torch.Tensor) -> torch.Tensor:
  """Non-saturating generator loss -E log D(G(z))."""
  return F.softplus(-model.discriminator(model.generator(z))[:, 0]).mean()


class TorchGANRunner:
  """`n_critic` D updates (fresh noise each), one G update, G's average.

  As `unsup_jax/methods/adversarial/gan.py:train_step`, step by step:

  * D update (`d_update`), `n_critic` times: the adversarial loss of
    `dcgan_d_loss`; on steps whose index is divisible by `r1_every` plus
    `0.5 * r1_gamma * r1_every` times `r1_penalty` at the real batch (not
    computed on the other steps, as `lax.cond` skips it); one fused Adam
    step of D. While D trains, the generator's batch norms use batch
    statistics but leave their running averages alone (momentum 0), as the
    JAX D update discards them.
  * G update (`g_update`): the non-saturating loss against the updated D,
    whose parameters need no gradient; one fused Adam step of G; the batch
    norms' running averages advance.
  * The moving average of G (`update_ema`): every parameter and batch-norm
    running average becomes `decay * average + (1 - decay) * raw`, `decay`
    `ema_decay` once the step count (after this step) exceeds `ema_start`,
    else 0 (a copy). The average starts as G before the first step.

  Each step returns the JAX step's metrics of the same names: `loss` (D's
  adversarial loss of the last D update), `g_loss` and, with R1, `d_r1`
  (`r1_every` times the penalty on R1 steps, 0 between).
  """

  def __init__(self, model: TorchDCGAN, g, batch: dict,
               compile_step: bool = False):
    self.model, self.n_critic, self.noise_dim = model, g.n_critic, g.noise_dim
    self.r1_gamma, self.r1_every = g.r1_gamma, g.r1_every
    self.ema_decay, self.ema_start = g.ema_decay, g.ema_start
    self.x = torch.from_numpy(
        np.ascontiguousarray(batch["image"].transpose(0, 3, 1, 2)))
    adam = lambda m, lr: torch.optim.Adam(  # pylint: disable=g-long-lambda
        m.parameters(), lr=lr, betas=(g.beta1, g.beta2), fused=True)
    self.d_opt = adam(model.discriminator, g.d_learning_rate)
    self.g_opt = adam(model.generator, g.g_learning_rate)
    # torch.compile does not differentiate twice: R1 stays eager.
    wrap = torch.compile if compile_step else (lambda f: f)
    self.d_loss, self.g_loss = wrap(dcgan_d_loss), wrap(dcgan_g_loss)
    self.norms = [m for m in model.generator
                  if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    self.num_params = sum(p.numel() for p in model.parameters())
    self.steps_done = 0
    self.ema = None  # G's average (`averaged()`), copied by the 1st step

  def averaged(self) -> list[torch.Tensor]:
    """The tensors of G that the moving average follows: its parameters,
    then each batch norm's running mean and variance."""
    stats = [t for m in self.norms for t in (m.running_mean, m.running_var)]
    return list(self.model.generator.parameters()) + stats

  def _set_d_training(self, on: bool) -> None:
    for p in self.model.discriminator.parameters():
      p.requires_grad_(on)
    for m in self.norms:
      m.momentum = 0.0 if on else 0.1

  def _update_ema(self) -> None:
    decay = self.ema_decay if self.steps_done > self.ema_start else 0.0
    with torch.no_grad():
      torch._foreach_mul_(self.ema, decay)  # pylint: disable=protected-access
      torch._foreach_add_(self.ema, self.averaged(), alpha=1.0 - decay)  # pylint: disable=protected-access

  def step(self, d_noise=None, g_noise=None) -> dict:
    """One train step; `d_noise` (`n_critic` `[B, Z]`), `g_noise` (`[B, Z]`)
    default to fresh normal noise. Returns the metrics (scalar tensors)."""
    if self.ema is None:
      with torch.no_grad():
        self.ema = [t.detach().clone() for t in self.averaged()]
    b = self.x.shape[0]
    with_r1 = self.r1_gamma > 0 and self.steps_done % self.r1_every == 0
    metrics = {}
    self._set_d_training(True)
    for i in range(self.n_critic):
      z = (torch.randn(b, self.noise_dim) if d_noise is None
           else d_noise[i])
      self.d_opt.zero_grad(set_to_none=True)
      d_loss = self.d_loss(self.model, self.x, z)
      total = d_loss
      if with_r1:
        r1 = self.r1_every * r1_penalty(self.model.discriminator, self.x)
        total = d_loss + 0.5 * self.r1_gamma * r1
      total.backward()
      self.d_opt.step()
    self._set_d_training(False)
    metrics["loss"] = d_loss.detach()
    if self.r1_gamma > 0:
      metrics["d_r1"] = r1.detach() if with_r1 else torch.zeros(())
    z = torch.randn(b, self.noise_dim) if g_noise is None else g_noise
    self.g_opt.zero_grad(set_to_none=True)
    g_loss = self.g_loss(self.model, z)
    g_loss.backward()
    self.g_opt.step()
    metrics["g_loss"] = g_loss.detach()
    self.steps_done += 1
    self._update_ema()
    return metrics

  def warmup(self) -> None:
    self.run(twins_common.TORCH_WARMUP_STEPS)

  def run(self, steps: int) -> None:
    for _ in range(steps):
      self.step()


def check_recipe(config) -> None:
  """Raises ValueError unless `config` is a GAN this twin implements: the
  DCGAN networks, the non-saturating loss, optionally R1 (lazy or not) and
  the generator's moving average, any `n_critic`, learning rates and
  betas; no spectral norm, DiffAugment, label smoothing or WGAN-GP."""
  if config.method != "gan":
    raise ValueError(f"the torch DCGAN twin is a GAN, got "
                     f"method={config.method!r}")
  g = config.gan
  unsupported = {"loss": g.loss != "non_saturating",
                 "gradient_penalty": g.gradient_penalty > 0,
                 "spectral_norm": bool(g.spectral_norm),
                 "augment": bool(g.augment),
                 "real_label": g.real_label != 1.0}
  bad = [f"{k}={g[k]!r}" for k, v in unsupported.items() if v]
  if bad:
    raise ValueError("the torch DCGAN twin implements the non-saturating "
                     "loss with optional R1 and EMA, without spectral norm, "
                     "DiffAugment, label smoothing or WGAN-GP; got "
                     + ", ".join(f"gan.{b}" for b in bad))


def torch_dcgan(config, batch: dict, compile_step: bool = False
                ) -> TorchGANRunner:
  """The twin of the GAN recipe `config` (see `check_recipe`)."""
  check_recipe(config)
  g = config.gan
  return TorchGANRunner(TorchDCGAN(g, twins_common.IMAGE_SHAPE), g, batch,
                        compile_step)
