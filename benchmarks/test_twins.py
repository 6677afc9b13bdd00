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

from unsup_jax.losses import gradient_penalty
from unsup_jax.methods import registry
from unsup_jax.methods.adversarial import gan
from unsup_jax.ops import quantize
from unsup_jax.training import step as step_lib
from unsup_jax.training.contract import step_phases

IMAGE_SHAPE = (28, 28, 1)  # the benchmark batch's (H, W, C)
SCRIPT = (pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
          / "train_throughput.py")


@pytest.fixture(scope="module")
def bench():
  spec = importlib.util.spec_from_file_location("train_throughput", SCRIPT)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  assert module.IMAGE_SHAPE == IMAGE_SHAPE
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
    images = model.generator(torch.randn(64, config.gan.noise_dim))
  assert tuple(images.shape) == tuple(runner.x.shape) == (64, 1, 28, 28)
  assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0
  assert tuple(model.discriminator(images).shape) == (64, 1)
  metrics = runner.step()  # one eager train step runs, with R1 (step 0)
  assert set(metrics) == {"loss", "g_loss", "d_r1"}
  assert all(np.isfinite(v.item()) for v in metrics.values())
  assert metrics["d_r1"].item() > 0


@pytest.mark.parametrize("field, value", [
    ("loss", "hinge"), ("gradient_penalty", 10.0), ("spectral_norm", True),
    ("augment", "translation"), ("real_label", 0.9)])
def test_torch_dcgan_refuses_what_it_does_not_implement(bench, field, value):
  config = bench.load_config("experiments/dcgan_mnist.py")
  bench.twins_gan.check_recipe(config)  # the benchmarked recipe passes
  config.gan[field] = value
  with pytest.raises(ValueError, match=f"gan.{field}="):
    bench.twins_gan.torch_dcgan(config, bench.make_batch(8))


def _hwc_to_chw(h, w, c):
  """Flax's (h, w, c) feature index of each torch (c, h, w) one."""
  return np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).ravel()


def _conv_weight(module, kernel):
  k = np.array(kernel)
  if isinstance(module, torch.nn.ConvTranspose2d):  # UpConv2x: flipped taps
    return k[::-1, ::-1].transpose(2, 3, 0, 1)
  return k.transpose(3, 2, 0, 1)


def _conv_pairs(layers, tree, names):
  """(torch tensor, Flax value in torch's layout) of conv layers."""
  pairs = []
  assert len(layers) == len(names)
  for name, layer in zip(names, layers):
    pairs.append((layer.weight, _conv_weight(layer, tree[name]["kernel"])))
    assert (layer.bias is None) == ("bias" not in tree[name]), name
    if layer.bias is not None:
      pairs.append((layer.bias, np.array(tree[name]["bias"])))
  return pairs


def _generator_pairs(gen, stats, model, g, *, variances=False):
  """(torch tensor, Flax value) of every generator parameter (`gen`, a
  params tree) and, from `stats` (batch_stats, or None), every running mean
  and, if `variances`, running variance (torch's are unbiased, Flax's
  biased: equal only as copied)."""
  s = 2 ** g.num_scales
  perm = _hwc_to_chw(IMAGE_SHAPE[0] // s, IMAGE_SHAPE[1] // s, g.g_channels)
  linear, norm1d = model.generator[0], model.generator[1]
  assert linear.bias is None and "bias" not in gen["project"]
  norms = [m for m in model.generator if isinstance(m, torch.nn.BatchNorm2d)]
  ups = [m for m in model.generator
         if isinstance(m, torch.nn.ConvTranspose2d)]
  pairs = [(linear.weight, np.array(gen["project"]["kernel"])[:, perm].T),
           (norm1d.weight, np.array(gen["norm_project"]["scale"])[perm]),
           (norm1d.bias, np.array(gen["norm_project"]["bias"])[perm])]
  for i, norm in enumerate(norms):
    pairs += [(norm.weight, np.array(gen[f"norm_{i}"]["scale"])),
              (norm.bias, np.array(gen[f"norm_{i}"]["bias"]))]
  pairs += _conv_pairs(ups, gen, [f"up_{i}" for i in range(len(ups))])
  if stats is not None:
    kinds = (("running_mean", "mean"),) + (
        (("running_var", "var"),) if variances else ())
    for norm, name, order in ([(norm1d, "norm_project", perm)] +
                              [(n, f"norm_{i}", slice(None))
                               for i, n in enumerate(norms)]):
      pairs += [(getattr(norm, attr), np.array(stats[name][key])[order])
                for attr, key in kinds]
  return pairs


def _discriminator_pairs(disc, model, g):
  """(torch tensor, Flax value) of every discriminator parameter; `disc` is
  a params tree or its gradient."""
  s = 2 ** g.num_scales
  perm = _hwc_to_chw(IMAGE_SHAPE[0] // s, IMAGE_SHAPE[1] // s,
                     g.d_channels * 2 ** (g.num_scales - 1))
  convs = [m for m in model.discriminator if isinstance(m, torch.nn.Conv2d)]
  out = model.discriminator[-1]
  return _conv_pairs(convs, disc, [f"conv_{i}" for i in range(len(convs))]) + [
      (out.weight, np.array(disc["out"]["kernel"])[perm, 0][None]),
      (out.bias, np.array(disc["out"]["bias"]))]


def _flax_dcgan_to_torch(params, batch_stats, model, g):
  """Copies the Flax DCGAN (and G's running averages) into the torch twin,
  Dense rows reordered; every torch parameter and running average once."""
  pairs = (_generator_pairs(params["generator"], batch_stats, model, g,
                            variances=True)
           + _discriminator_pairs(params["discriminator"], model, g))
  num_norms = sum(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d))
                  for m in model.generator)
  assert (len({id(t) for t, _ in pairs}) == len(pairs) ==
          sum(1 for _ in model.parameters()) + 2 * num_norms)
  with torch.no_grad():
    for target, value in pairs:
      assert tuple(target.shape) == value.shape
      target.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def _assert_pairs_close(pairs, atol, rtol=1e-4, tensors=None):
  """Each torch tensor of `pairs` (or its entry in `tensors`, keyed by the
  tensor's id) is close to its Flax value."""
  for target, value in pairs:
    got = target if tensors is None else tensors[id(target)]
    np.testing.assert_allclose(got.detach().numpy(), value, atol=atol,
                               rtol=rtol)


def _dcgan_noise(state, batch_size, noise_dim):
  """The noise `gan.train_step` draws (n_critic 1): D's from the first half
  of split(split(fold_in(key, 0), 1)[0]), G's from fold_in(key, 1)."""
  key = step_lib.step_key(state)
  d_key = jax.random.split(jax.random.fold_in(key, 0), 1)[0]
  return (gan.noise(jax.random.split(d_key)[0], batch_size, noise_dim),
          gan.noise(jax.random.fold_in(key, 1), batch_size, noise_dim))


def test_torch_r1_penalty_and_its_gradient_match_jax(bench):
  """Same D weights and real batch: the same R1 penalty and the same
  gradient of it with respect to D's parameters (a double backward)."""
  config = bench.load_config("experiments/dcgan_mnist.py")
  g = config.gan
  batch = bench.make_batch(16)
  nets, tx = gan.networks(config, bench.IMAGE_SHAPE), gan.optimizers(config)
  state = gan.init(jax.random.key(3), batch, nets=nets, tx=tx)
  model = bench.twins_gan.TorchDCGAN(g, bench.IMAGE_SHAPE)
  _flax_dcgan_to_torch(state.params, state.extra["batch_stats"], model, g)
  x = jnp.asarray(batch["image"])
  r1, grads = jax.value_and_grad(lambda p: gradient_penalty.r1_penalty(
      gan.critic(nets, p, state.extra["spectral"]), x)[0])(
          state.params["discriminator"])
  got = bench.twins_gan.r1_penalty(model.discriminator, torch.from_numpy(
      np.ascontiguousarray(batch["image"].transpose(0, 3, 1, 2))))
  np.testing.assert_allclose(got.item(), float(r1), rtol=1e-5)
  assert float(r1) > 0
  got.backward()
  pairs = _discriminator_pairs(grads, model, g)
  # The input gradient does not depend on the last bias: no torch gradient.
  out_bias = model.discriminator[-1].bias
  assert [t is out_bias for t, _ in pairs if t.grad is None] == [True]
  np.testing.assert_array_equal(np.asarray(grads["out"]["bias"]), 0.0)
  scale = max(np.abs(v).max() for _, v in pairs)
  assert scale > 0
  _assert_pairs_close([(t.grad, v) for t, v in pairs if t is not out_bias],
                      atol=1e-5 * scale)


def test_torch_dcgan_step_matches_jax_step(bench):
  """Same weights and noise: five steps of the benchmarked recipe give the
  same D and G losses and R1 penalties (R1 on steps 0 and 4 only), then the
  same weights of both networks, running means and averaged generator as
  the project's `gan.train_step`."""
  config = bench.load_config("experiments/dcgan_mnist.py")
  g = config.gan
  assert (g.n_critic, g.r1_every) == (1, 4) and g.r1_gamma > 0
  assert 0 < g.ema_decay < 1 and g.ema_start > 5
  # The recipe, except that G's average starts after step 2 (1,000 in the
  # recipe): the five steps copy G twice, then average it three times.
  g.ema_start = 2
  batch = bench.make_batch(config.data.batch_size)
  b = config.data.batch_size
  method = registry.build(config, bench.SPEC)
  state = method.init(jax.random.key(0), batch)
  runner = bench.twins_gan.torch_dcgan(config, batch)
  _flax_dcgan_to_torch(state.params, state.extra["batch_stats"],
                       runner.model, g)
  to_torch = lambda a: torch.from_numpy(np.array(a))
  jax_step = jax.jit(step_phases(method)[0].step)
  for i in range(5):
    z_d, z_g = _dcgan_noise(state, b, g.noise_dim)
    state, metrics = jax_step(state, batch)
    got = runner.step([to_torch(z_d)], to_torch(z_g))
    assert set(got) == {"loss", "g_loss", "d_r1"}
    for name, value in got.items():
      np.testing.assert_allclose(value.item(), float(metrics[name]),
                                 rtol=2e-5, err_msg=f"step {i}: {name}")
    assert (got["d_r1"].item() > 0) == (i % 4 == 0), i
  assert runner.steps_done == int(state.step) == 5
  model = runner.model
  _assert_pairs_close(_discriminator_pairs(
      state.params["discriminator"], model, g), atol=2e-6)
  _assert_pairs_close(_generator_pairs(
      state.params["generator"], state.extra["batch_stats"], model, g),
                      atol=2e-6)
  ema = state.extra["ema"]
  ema_pairs = _generator_pairs(ema["params"], ema["batch_stats"], model, g)
  tensors = {id(t): e for t, e in zip(runner.averaged(), runner.ema)}
  _assert_pairs_close(ema_pairs, atol=2e-6, tensors=tensors)
  # The average really averages: it is not G itself.
  raw = _generator_pairs(state.params["generator"],
                         state.extra["batch_stats"], model, g)
  assert max(np.abs(tensors[id(t)].numpy() - v).max()
             for (t, _), (_, v) in zip(ema_pairs, raw)) > 1e-4
