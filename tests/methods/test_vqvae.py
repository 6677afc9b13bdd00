"""The VQ-VAE method: phases, pmap, resumption, bits per dimension, errors."""

import json
import math
import os

import chex
import jax
import numpy as np
import pytest

from tests.conftest import load_config, pmap_and_jit_states
from unsup_jax.data import iterators, sources
from unsup_jax.errors import UserError
from unsup_jax.methods import registry
from unsup_jax.training import loop, parallel


def _tiny(levels=1):
  """A small model so that compiling stays quick."""
  config = load_config("vqvae2_mnist" if levels == 2 else "vqvae_mnist")
  config.train.parallel = "jit"
  config.vq.update(hidden=16, residual_hidden=8, num_residual=1,
                   num_codes=16, embedding_dim=4, restart_after=2)
  config.prior.update(channels=8, num_layers=1)
  return config


def _batches(n, batch_size=32, seed=0):
  data = sources.load("mnist5k", num_train=256, num_test=16)
  it = iterators.BatchIterator(data.train_images, data.train_labels,
                               global_batch_size=batch_size, seed=seed)
  return [next(it) for _ in range(n)]


@pytest.mark.parametrize("levels", [1, 2])
def test_pmap_steps_equal_jit_steps_in_both_phases(levels):
  config = _tiny(levels)
  method = registry.build(config, (28, 28, 1))
  batches = _batches(5)
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  vq_phase, prior_phase = method.phases
  # Step 0 starts the codebooks by k-means on the gathered batch; later
  # steps restart dead codes from it: both must agree across devices.
  a, b = pmap_and_jit_states(method._replace(train_step=vq_phase.train_step),
                             state, batches[:3], metric_atol=1e-4)
  chex.assert_trees_all_close(a.extra, b.extra, rtol=1e-4, atol=1e-5)
  chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)
  c, d = pmap_and_jit_states(
      method._replace(train_step=prior_phase.train_step), a, batches[3:],
      metric_atol=1e-4)
  chex.assert_trees_all_close(c.params["prior"], d.params["prior"],
                              rtol=1e-4, atol=1e-5)


def test_each_phase_changes_only_its_own_networks():
  config = _tiny()
  method = registry.build(config, (28, 28, 1))
  batch = _batches(1)[0]
  state = jax.device_get(method.init(jax.random.key(0), batch))
  vq_phase, prior_phase = method.phases
  after_vq, _ = jax.jit(vq_phase.train_step)(state, batch)
  after_vq = jax.device_get(after_vq)
  chex.assert_trees_all_equal(after_vq.params["prior"], state.params["prior"])
  chex.assert_trees_all_equal(after_vq.opt_state["prior"],
                              state.opt_state["prior"])
  assert not np.allclose(after_vq.extra["codebooks"][0].ema.codebook,
                         state.extra["codebooks"][0].ema.codebook)
  after_prior, metrics = jax.jit(prior_phase.train_step)(after_vq, batch)
  after_prior = jax.device_get(after_prior)
  chex.assert_trees_all_equal(after_prior.params["vqvae"],
                              after_vq.params["vqvae"])
  chex.assert_trees_all_equal(after_prior.extra, after_vq.extra)
  assert not jax.tree.all(jax.tree.map(
      np.array_equal, after_prior.params["prior"], after_vq.params["prior"]))
  assert int(after_prior.step) == 2
  assert float(metrics["bits_per_code_bottom"]) > 0


def test_resume_across_the_phase_boundary_equals_uninterrupted(tmp_path):
  config = _tiny()
  config.train.num_steps, config.prior.num_steps = 4, 3
  config.train.checkpoint_every = 2
  whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
  loop.run(config, whole, progress=False)
  with pytest.raises(loop.Interrupted):
    loop.run(config, parts, stop_after=3, progress=False)   # 0 -> 3 (train)
  results = loop.run(config, parts, progress=False)        # 3 -> 7 (prior)
  a, b = loop.load_state(config, whole), loop.load_state(config, parts)
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
  config.data.num_train, config.data.num_test = 1000, 200
  config.train.num_steps, config.prior.num_steps = 150, 150
  config.train.eval_every = 1000
  results = loop.run(config, str(tmp_path), progress=False)
  data = sources.load("mnist5k", num_test=200)
  mean_image_mse = np.mean((data.test_images - data.test_images.mean(0)) ** 2)
  assert results["test_mse"] < 0.5 * mean_image_mse
  assert results["test_perplexity_bottom"] > 4
  # -log p(x) bound = reconstruction + rate: the uniform-prior rate is
  # log2 K per code, the learned prior pays less (it has learned something).
  dims, codes = 28 * 28, 7 * 7
  np.testing.assert_allclose(
      results["test_bits_per_dim_uniform_prior"] -
      results["test_rec_bits_per_dim"], codes * math.log2(16) / dims,
      rtol=1e-6)
  assert results["test_prior_bits_per_code_bottom"] < math.log2(16)
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
    ("vq.num_down", 5, "too small"),
])
def test_bad_settings_are_one_line_user_errors(field, value, message):
  config = _tiny()
  section, name = field.split(".")
  config[section][name] = value
  with pytest.raises(UserError, match=message) as err:
    registry.build(config, (28, 28, 1))
  assert "\n" not in str(err.value)
