"""benchmarks/train_throughput.py: the JAX and torch twins are the same models.

The torch twins are in `benchmarks/twins_*.py`, imported by the script (the
`bench` fixture) from its folder and reached as `bench.twins_vqvae` etc.

Run with `make bench` (or `pytest benchmarks`), which installs PyTorch; the
library's own suite (`make test`) does not install it and does not collect
this file.
Builds the models only; nothing is timed.
"""

import importlib.util
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import torch

from unsup_jax.methods.adversarial import gan
from unsup_jax.methods import registry
from unsup_jax.models import gan as gan_models
from unsup_jax.ops import quantize
from unsup_jax.training import step as step_lib
from unsup_jax.training.contract import step_phases

SCRIPT = (pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
          / "train_throughput.py")


@pytest.fixture(scope="module")
def bench():
  spec = importlib.util.spec_from_file_location("train_throughput", SCRIPT)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


@pytest.mark.parametrize("name", ["mlp_vae", "conv_vae", "vqvae", "dcgan"])
def test_parameter_counts_match(bench, name):
  jax_runner, torch_runner = bench.build_pair(name)
  assert jax_runner.num_params == torch_runner.num_params > 0


def test_torch_conv_vae_shapes(bench):
  _, runner = bench.build_pair("conv_vae")
  model = runner.model
  mean_logvar = model.encoder(runner.x)
  assert tuple(mean_logvar.shape) == (100, 32)
  logits = model.decoder(mean_logvar[:, :16])
  assert tuple(logits.shape) == tuple(runner.x.shape) == (100, 1, 28, 28)
  runner.run(1)  # one eager train step runs


def test_torch_vqvae_shapes(bench):
  _, runner = bench.build_pair("vqvae")
  model = runner.model
  z = model.encoder(runner.x)
  assert tuple(z.shape) == (64, 16, 7, 7)
  assert tuple(model.decoder(z).shape) == tuple(runner.x.shape) == (
      64, 1, 28, 28)
  runner.run(2)  # two eager train steps run and tick the unused counters
  assert int(model.unused.max()) == 2 and int(model.unused.min()) == 0


def _ema_inputs(seed=0, n=300, k=12, d=5):
  rng = np.random.default_rng(seed)
  counts = rng.uniform(0.5, 3.0, k).astype(np.float32)
  sums = rng.normal(size=(k, d)).astype(np.float32)
  z = rng.normal(size=(n, d)).astype(np.float32)
  indices = rng.integers(0, k - 2, n)  # the last two codes stay unused
  return counts, sums, z, indices


def test_torch_ema_update_matches_jax(bench):
  counts, sums, z, indices = _ema_inputs()
  want = quantize.ema_update(
      quantize.EMACodebook(jnp.asarray(sums / counts[:, None]),
                           jnp.asarray(counts), jnp.asarray(sums)),
      jnp.asarray(z), jnp.asarray(indices, jnp.int32), decay=0.9,
      epsilon=1e-3)
  got = bench.twins_vqvae.torch_ema_update(
      torch.from_numpy(counts), torch.from_numpy(sums), torch.from_numpy(z),
      torch.from_numpy(indices), decay=0.9, epsilon=1e-3)
  for g, w in zip(got[:3], (want.codebook, want.counts, want.sums)):
    np.testing.assert_allclose(g.numpy(), np.asarray(w), atol=1e-5, rtol=1e-5)
  np.testing.assert_array_equal(got[3].numpy(),
                                np.bincount(indices, minlength=12))


def test_torch_ema_update_converges_to_assigned_means(bench):
  counts, sums, z, indices = _ema_inputs(seed=1)
  c, s = torch.from_numpy(counts), torch.from_numpy(sums)
  for _ in range(60):
    codebook, c, s, _ = bench.twins_vqvae.torch_ema_update(
        c, s, torch.from_numpy(z), torch.from_numpy(indices), decay=0.7,
        epsilon=1e-6)
  means = np.stack([z[indices == j].mean(0) for j in range(10)])
  np.testing.assert_allclose(codebook[:10].numpy(), means, atol=1e-4)
  # Unused codes decay in both sums and counts: they stay finite.
  assert np.all(np.isfinite(codebook[10:].numpy()))


def _flax_to_torch(vq_params, model):
  """Copies the Flax VQ-VAE weights into the torch twin, layer by layer."""
  def ordered(tree, first):
    blocks = range(len(tree["res"]) // 2)
    res = [tree["res"][f"{n}_{i}"] for i in blocks for n in ("conv3", "conv1")]
    return [tree[n] for n in first] + [tree["conv"]] + res
  enc, dec = vq_params["bottom_encoder"], vq_params["decoder"]
  downs = sorted(n for n in enc if n.startswith("down_"))
  ups = sorted(n for n in dec if n.startswith("up_"))
  flax_layers = (ordered(enc, downs) + [vq_params["bottom_proj"]]
                 + [dec["conv"]] + ordered(dec, [])[1:]
                 + [dec[n] for n in ups])
  torch_layers = [m for m in model.modules()
                  if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
  assert len(flax_layers) == len(torch_layers)
  with torch.no_grad():
    for f, t in zip(flax_layers, torch_layers):
      k = np.array(f["kernel"])
      if isinstance(t, torch.nn.ConvTranspose2d):  # UpConv2x: flipped taps
        w = k[::-1, ::-1].transpose(2, 3, 0, 1)
      else:
        w = k.transpose(3, 2, 0, 1)
      assert tuple(t.weight.shape) == w.shape
      t.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
      t.bias.copy_(torch.from_numpy(np.array(f["bias"])))


def test_torch_vqvae_step_matches_jax_step(bench):
  """Same weights and codebook: same loss, EMA codebook and error average."""
  config = bench.load_config("experiments/vqvae_mnist.py")
  batch = bench.make_batch(config.data.batch_size)
  method = registry.build(config, bench.SPEC)
  state = method.init(jax.random.key(0), batch)
  # Past step 0, whose error average starts from the batch's own error.
  state = state.replace(step=jnp.ones((), jnp.int32))
  new_state, metrics = jax.jit(step_phases(method)[0].step)(state, batch)
  model = bench.twins_vqvae.TorchVQVAE(config.vq, bench.IMAGE_SHAPE)
  _flax_to_torch(state.params["vqvae"], model)
  ema = state.extra["codebooks"][0].ema
  for name, value in (("codebook", ema.codebook), ("counts", ema.counts),
                      ("sums", ema.sums)):
    getattr(model, name).copy_(torch.from_numpy(np.array(value)))
  x = torch.from_numpy(np.ascontiguousarray(
      batch["image"].transpose(0, 3, 1, 2)))
  loss = bench.twins_vqvae.vqvae_loss(model, x)
  np.testing.assert_allclose(loss.item(), float(metrics["loss"]), rtol=1e-4)
  new = new_state.extra["codebooks"][0]
  np.testing.assert_allclose(model.codebook.numpy(),
                             np.asarray(new.ema.codebook), atol=1e-5)
  np.testing.assert_allclose(model.counts.numpy(), np.asarray(new.ema.counts),
                             atol=1e-5)
  np.testing.assert_array_equal(model.unused.numpy(), np.asarray(new.unused))
  np.testing.assert_allclose(
      model.sq_error.numpy().transpose(1, 2, 0),
      np.asarray(new_state.extra["sq_error"]), atol=1e-6)
  np.testing.assert_allclose(float(model.perplexity),
                             float(metrics["perplexity_bottom"]), rtol=1e-4)


def test_torch_dcgan_shapes(bench):
  config = bench.load_config("experiments/dcgan_mnist.py")
  runner = bench.twins_gan.torch_dcgan(config, bench.make_batch(64))
  model = runner.model
  with torch.no_grad():
    images = model.generator(torch.randn(64, 64))
  assert tuple(images.shape) == tuple(runner.x.shape) == (64, 1, 28, 28)
  assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0
  assert tuple(model.discriminator(images).shape) == (64, 1)
  d_loss, g_loss = runner.step()  # one eager train step runs
  assert np.isfinite(d_loss.item()) and np.isfinite(g_loss.item())


def _hwc_to_chw(h, w, c):
  """Flax's (h, w, c) feature index of each torch (c, h, w) one."""
  return np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).ravel()


def _conv_weight(module, kernel):
  k = np.array(kernel)
  if isinstance(module, torch.nn.ConvTranspose2d):  # UpConv2x: flipped taps
    return k[::-1, ::-1].transpose(2, 3, 0, 1)
  return k.transpose(3, 2, 0, 1)


def _flax_dcgan_to_torch(params, batch_stats, model):
  """Copies the Flax DCGAN into the torch twin (Dense rows reordered)."""
  gen, disc = params["generator"], params["discriminator"]
  stats = batch_stats["norm_project"]
  perm = _hwc_to_chw(7, 7, 128)
  linear, norm1d = model.generator[0], model.generator[1]
  up = [m for m in model.generator if isinstance(m, torch.nn.ConvTranspose2d)]
  down = [m for m in model.discriminator if isinstance(m, torch.nn.Conv2d)]
  assert linear.bias is None and "bias" not in gen["project"]
  copies = [
      (linear.weight, np.array(gen["project"]["kernel"])[:, perm].T),
      (norm1d.weight, np.array(gen["norm_project"]["scale"])[perm]),
      (norm1d.bias, np.array(gen["norm_project"]["bias"])[perm]),
      (norm1d.running_mean, np.array(stats["mean"])[perm]),
      (norm1d.running_var, np.array(stats["var"])[perm]),
      (model.generator[5].weight, np.array(gen["norm_0"]["scale"])),
      (model.generator[5].bias, np.array(gen["norm_0"]["bias"])),
      (model.discriminator[-1].weight,
       np.array(disc["out"]["kernel"])[perm, 0][None]),
      (model.discriminator[-1].bias, np.array(disc["out"]["bias"])),
  ]
  for names, layers in ((("up_0", "up_1"), up), (("conv_0", "conv_1"), down)):
    tree = gen if names[0].startswith("up") else disc
    assert len(layers) == len(names)
    for name, layer in zip(names, layers):
      copies.append((layer.weight, _conv_weight(layer, tree[name]["kernel"])))
      assert (layer.bias is None) == ("bias" not in tree[name]), name
      if layer.bias is not None:
        copies.append((layer.bias, np.array(tree[name]["bias"])))
  with torch.no_grad():
    for target, value in copies:
      assert tuple(target.shape) == value.shape
      target.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def _dcgan_noise(fns, state, batch_size):
  """The noise `train_step` draws (n_critic 1): D's from the first half of
  split(split(fold_in(key, 0), 1)[0]), G's from fold_in(key, 1)."""
  key = step_lib.step_key(state)
  d_key = jax.random.split(jax.random.fold_in(key, 0), 1)[0]
  return (fns.noise(jax.random.split(d_key)[0], batch_size),
          fns.noise(jax.random.fold_in(key, 1), batch_size))


def test_torch_dcgan_step_matches_jax_step(bench):
  """Same weights and noise: two steps give the same D and G losses (each G
  loss after D's Adam step; Adam's betas matter from the second step on),
  then the same running means and generator as the project's `train_step`."""
  config = bench.load_config("experiments/dcgan_mnist.py")
  assert config.gan.n_critic == 1
  batch = bench.make_batch(config.data.batch_size)
  b = config.data.batch_size
  method = registry.build(config, bench.SPEC)
  fns = gan.steps(config, bench.IMAGE_SHAPE)
  new_state = method.init(jax.random.key(0), batch)
  runner = bench.twins_gan.torch_dcgan(config, batch)
  _flax_dcgan_to_torch(new_state.params, new_state.extra["batch_stats"],
                       runner.model)
  to_torch = lambda a: torch.from_numpy(np.array(a))
  jax_step = jax.jit(step_phases(method)[0].step)
  for _ in range(2):
    z_d, z_g = _dcgan_noise(fns, new_state, b)
    new_state, metrics = jax_step(new_state, batch)
    d_loss, g_loss = runner.step([to_torch(z_d)], to_torch(z_g))
    np.testing.assert_allclose(d_loss.item(), float(metrics["loss"]),
                               rtol=1e-5)
    np.testing.assert_allclose(g_loss.item(), float(metrics["g_loss"]),
                               rtol=1e-5)
  # After the steps: the running means, then the generator's images
  # on new noise in training mode (batch statistics).
  new_stats = new_state.extra["batch_stats"]
  perm = _hwc_to_chw(7, 7, 128)
  np.testing.assert_allclose(
      runner.model.generator[1].running_mean.numpy(),
      np.asarray(new_stats["norm_project"]["mean"])[perm], atol=1e-6)
  np.testing.assert_allclose(runner.model.generator[5].running_mean.numpy(),
                             np.asarray(new_stats["norm_0"]["mean"]),
                             atol=1e-6)
  z = jax.random.normal(jax.random.key(1), (b, config.gan.noise_dim))
  generator = gan_models.Generator(bench.IMAGE_SHAPE, config.gan.g_channels,
                                   config.gan.num_scales)
  want, _ = generator.apply(
      {"params": new_state.params["generator"], "batch_stats": new_stats}, z,
      train=True, mutable=["batch_stats"])
  got = runner.model.generator(to_torch(z)).detach().numpy()
  np.testing.assert_allclose(got.transpose(0, 2, 3, 1), np.asarray(want),
                             atol=1e-4)
