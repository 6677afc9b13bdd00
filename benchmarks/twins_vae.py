"""PyTorch twins of the project's Bernoulli VAEs, MLP and convolutional.

VAE: Kingma & Welling 2014, arXiv:1312.6114. The twins mirror
`experiments/vae_mnist.py` and `experiments/conv_vae_mnist.py` (the
`mlp_vae` and `conv_vae` rows of `train_throughput.py`) and train under
`twins_common.TorchRunner`.
"""

import torch
from torch import nn
from torch.nn import functional as F

import twins_common


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
  if config.method != "vae" or config.vae.likelihood != "bernoulli":
    raise ValueError("the torch VAE twins implement the Bernoulli VAE only, "
                     f"got method={config.method!r}, "
                     f"likelihood={config.vae.likelihood!r}")


def mlp_vae(encoder_hidden, decoder_hidden, latent_dim: int) -> TorchVAE:
  """MLP VAE: 784-hidden-(2 x latent) encoder, latent-hidden-784 decoder
  (ReLU), as `unsup_jax.models.vae.VAE(kind="mlp")`."""
  h, w, c = twins_common.IMAGE_SHAPE
  size = h * w * c
  encoder = nn.Sequential(
      nn.Flatten(),
      *_mlp([size, *encoder_hidden], activate_final=True),
      nn.Linear(list(encoder_hidden)[-1], 2 * latent_dim))
  decoder = nn.Sequential(
      *_mlp([latent_dim, *decoder_hidden, size], activate_final=False),
      nn.Unflatten(1, (c, h, w)))
  return TorchVAE(encoder, decoder)


def torch_mlp_vae(config, batch: dict, compile_step: bool = False
                  ) -> twins_common.TorchRunner:
  """The MLP VAE of `config.vae` under `TorchRunner`."""
  _check_vae_config(config)
  m = config.vae
  return twins_common.TorchRunner(
      mlp_vae(m.encoder_hidden, m.decoder_hidden, m.latent_dim), vae_loss,
      batch, config.optim.learning_rate, compile_step)


def torch_conv_vae(config, batch: dict, compile_step: bool = False
                   ) -> twins_common.TorchRunner:
  """Conv VAE as `unsup_jax.nn.conv`: 4x4 stride-2 convs, 3x3 output conv.

  padding=1 on the 4x4 stride-2 (transposed) convolutions gives the same
  shapes and the same (1, 1) padding as Flax's "SAME" on even sizes.
  """
  _check_vae_config(config)
  m = config.vae
  h, w, c = twins_common.IMAGE_SHAPE
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
  return twins_common.TorchRunner(
      TorchVAE(encoder, decoder), vae_loss, batch,
      config.optim.learning_rate, compile_step)
