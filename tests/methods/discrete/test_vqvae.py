"""The VQ-VAE method: the k-means phase, the two step phases, pmap,
resumption, bits per dimension, errors. Tiny models on 8x8 digits."""

import json
import math
import os

import chex
import jax
import numpy as np
import pytest

from tests.helpers import build, load_config, load_state, \
    pmap_and_jit_states, run
from unsup_jax import errors
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.ops import quantize
from unsup_jax.training.contract import Hook, step_phases


def _tiny(levels=1):
  """A small model on 8x8 digits so that compiling stays quick."""
  config = load_config("vqvae2_mnist" if levels == 2 else "vqvae_mnist")
  config.train.parallel = "jit"
  config.data.name = "digits"
  config.vq.update(hidden=8, residual_hidden=4, num_residual=1, num_down=1,
                   num_codes=8, embedding_dim=4, restart_after=2)
  config.prior.update(channels=4, num_layers=1)
  return config


def _setup(config, n_batches=5):
  method, data = build(config)
  it = data.iterator("train")
  batches = [it.batch_at(i) for i in range(n_batches)]
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  return method, data, batches, state


def test_kmeans_phase_starts_codebooks_at_encoder_output_centres():
  config = _tiny()
  method, data, _, state = _setup(config)
  hook = method.phases[0]
  assert isinstance(hook, Hook) and hook.name == "kmeans"
  started = jax.device_get(hook.fn(state, data.view, jax.random.key(3)))
  book = started.extra["codebooks"][0]
  # Every code is the mean of the training encoder outputs nearest to it
  # (a fixed point of Lloyd's iterations, up to the sampled points).
  z = np.asarray(jax.jit(lambda x: method_encode(method, started, x))(
      data.view.split("train")["image"]))
  near = np.asarray(quantize.nearest_code(z, book.ema.codebook))
  used = np.unique(near)
  assert len(used) >= config.vq.num_codes // 2
  for k in used[:3]:
    np.testing.assert_allclose(book.ema.codebook[k], z[near == k].mean(0),
                               atol=0.05 * np.abs(z).max())
  # Counts start at one training batch's worth.
  batch_vectors = config.data.batch_size * 4 * 4
  assert float(np.sum(book.ema.counts)) == pytest.approx(batch_vectors,
                                                         rel=0.01)
  chex.assert_trees_all_equal(started.params, state.params)


def method_encode(method, state, x):
  """Bottom-level encoder outputs `[N * h * w, D]` of the tiny model."""
  del method
  from unsup_jax.models.vqvae import VQVAE  # pylint: disable=g-import-not-at-top
  model = VQVAE(image_shape=(8, 8, 1), levels=1, hidden=8, residual_hidden=4,
                num_residual=1, embedding_dim=4, num_down=1)
  books = [jax.numpy.asarray(cb.ema.codebook)
           for cb in state.extra["codebooks"]]
  z = model.apply({"params": state.params["vqvae"]}, x, books,
                  method=VQVAE.encode)[0]["z"]
  return z.reshape(-1, z.shape[-1])


def test_pmap_steps_equal_jit_steps_in_both_phases():
  """On the two-level model: its bottom level and unconditional top prior
  are the one-level model's code paths."""
  config = _tiny(levels=2)
  config.data.batch_size = 32
  method, data, batches, state = _setup(config)
  state = jax.device_get(method.phases[0].fn(state, data.view,
                                             jax.random.key(1)))
  vq_phase, prior_phase = step_phases(method)
  # Dead codes are restarted from the gathered batch: devices must agree.
  a, b = pmap_and_jit_states(vq_phase.step, state, batches[:3],
                             metric_atol=1e-4)
  chex.assert_trees_all_close(a.extra, b.extra, rtol=1e-4, atol=1e-5)
  chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)
  c, d = pmap_and_jit_states(prior_phase.step, a, batches[3:],
                             metric_atol=1e-4)
  chex.assert_trees_all_close(c.params["prior"], d.params["prior"],
                              rtol=1e-4, atol=1e-5)


def test_each_phase_changes_only_its_own_networks():
  method, _, batches, state = _setup(_tiny())
  vq_phase, prior_phase = step_phases(method)
  batch = batches[0]
  after_vq, _ = jax.jit(vq_phase.step)(state, batch)
  after_vq = jax.device_get(after_vq)
  chex.assert_trees_all_equal(after_vq.params["prior"], state.params["prior"])
  chex.assert_trees_all_equal(after_vq.opt_state["prior"],
                              state.opt_state["prior"])
  assert not np.allclose(after_vq.extra["codebooks"][0].ema.codebook,
                         state.extra["codebooks"][0].ema.codebook)
  after_prior, metrics = jax.jit(prior_phase.step)(after_vq, batch)
  after_prior = jax.device_get(after_prior)
  chex.assert_trees_all_equal(after_prior.params["vqvae"],
                              after_vq.params["vqvae"])
  chex.assert_trees_all_equal(after_prior.extra, after_vq.extra)
  assert not jax.tree.all(jax.tree.map(
      np.array_equal, after_prior.params["prior"], after_vq.params["prior"]))
  assert int(after_prior.step) == 2
  assert float(metrics["bits_per_code_bottom"]) > 0


def test_resume_across_the_phases_equals_uninterrupted(tmp_path):
  config = _tiny()
  config.train.num_steps, config.prior.num_steps = 4, 3
  config.train.checkpoint_every = 2
  whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
  run(config, whole)
  with pytest.raises(errors.Interrupted):
    run(config, parts, stop_after=3)                 # 0 -> 3 (train)
  results = run(config, parts)                       # 3 -> 7 (prior)
  a, b = load_state(config, whole), load_state(config, parts)
  assert int(a.step) == int(b.step) == results["steps"] == 7
  chex.assert_trees_all_equal(a.params, b.params)
  chex.assert_trees_all_equal(a.extra, b.extra)
  records = [json.loads(l) for l in open(os.path.join(whole, "metrics.jsonl"))]
  assert any("prior_loss" in r for r in records)
  assert any("perplexity_bottom" in r for r in records)
  assert not any("prior_loss" in r and "perplexity_bottom" in r
                 for r in records)


def test_training_learns_and_bits_per_dim_add_up(tmp_path):
  config = _tiny()
  config.data.num_train, config.data.num_test = 0, 0
  config.vq.update(hidden=16, residual_hidden=8)
  config.train.num_steps, config.prior.num_steps = 200, 100
  config.train.eval_every, config.train.checkpoint_every = 0, 1000
  config.optim.learning_rate = 3e-3
  results = run(config, str(tmp_path))
  _, data = build(config)
  test = data.view.split("test")["image"]
  mean_image_mse = np.mean((test - test.mean(0)) ** 2)
  assert results["test_mse"] < 0.5 * mean_image_mse
  assert results["test_perplexity_bottom"] > 3
  # -log p(x) bound = reconstruction + rate: the uniform-prior rate is
  # log2 K per code, the learned prior pays less (it has learned something).
  dims, codes = 8 * 8, 4 * 4
  np.testing.assert_allclose(
      results["test_bits_per_dim_uniform_prior"] -
      results["test_rec_bits_per_dim"], codes * math.log2(8) / dims,
      rtol=1e-6)
  assert results["test_prior_bits_per_code_bottom"] < math.log2(8)
  np.testing.assert_allclose(
      results["test_bits_per_dim"] - results["test_rec_bits_per_dim"],
      codes * results["test_prior_bits_per_code_bottom"] / dims, rtol=1e-5)
  for name in ("samples", "codebook_usage", "code_maps", "reconstructions"):
    assert os.path.getsize(tmp_path / "figures" / f"{name}.png") > 1000


@pytest.mark.parametrize("field,value,message", [
    ("vq.levels", 3, "levels"),
    ("vq.num_codes", 1, "num_codes"),
    ("vq.decay", 1.0, "decay"),
    ("prior.kernel_size", 4, "kernel_size"),
])
def test_bad_settings_are_one_line_user_errors(field, value, message):
  config = _tiny()
  section, name = field.split(".")
  config[section][name] = value
  with pytest.raises(UserError, match=message) as err:
    configs.validate(config)
  assert "\n" not in str(err.value)


def test_images_too_small_for_the_downsamplings():
  config = _tiny(levels=2)
  config.vq.num_down = 3
  with pytest.raises(UserError, match="too small"):
    build(config)
