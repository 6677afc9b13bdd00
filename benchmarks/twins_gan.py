"""PyTorch twin of the project's DCGAN and its two-optimiser train step.

DCGAN: Radford et al. 2016, arXiv:1511.06434; non-saturating loss of
Goodfellow et al. 2014, arXiv:1406.2661. The twin mirrors
`experiments/dcgan_mnist.py` (the `dcgan` row of `train_throughput.py`) and
runs under its own `TorchGANRunner` (one Adam per network).
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
    self.run(twins_common.TORCH_WARMUP_STEPS)

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
  return TorchGANRunner(TorchDCGAN(g, twins_common.IMAGE_SHAPE), g, batch,
                        compile_step)
