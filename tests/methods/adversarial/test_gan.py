"""The GAN method: which step changes what, pmap, n_critic, evaluation."""

import functools
import os
import types

import chex
import jax
import numpy as np
import optax
import pytest

from tests.helpers import image_spec, load_config, pmap_and_jit_states, \
    run, step_of
from unsup_jax import errors
from unsup_jax import configs
from unsup_jax.data import sources
from unsup_jax.data.iterators import BatchIterator
from unsup_jax.errors import UserError
from unsup_jax.methods.adversarial import gan
from unsup_jax.methods.adversarial import gan_eval
from unsup_jax.training.logging import read_metrics

SHAPE = (28, 28, 1)


def _tiny(name="dcgan_mnist", **gan_fields):
  config = load_config(name)
  config.train.parallel = "jit"
  config.gan.update(g_channels=16, d_channels=8, noise_dim=8, **gan_fields)
  return config


def _batch(batch_size=32, seed=0):
  data = sources.load("mnist5k", num_train=256, num_test=16)
  return BatchIterator(data.split("train"), global_batch_size=batch_size,
                       seed=seed).batch_at(0)


def _fns(config) -> types.SimpleNamespace:
  """The method's functions with its networks and optimisers bound."""
  bound = dict(nets=gan.networks(config, SHAPE), tx=gan.optimizers(config))
  return types.SimpleNamespace(**{
      name: functools.partial(getattr(gan, name), **bound)
      for name in ("init", "d_update", "g_update", "train_step")})


def _changed(a, b):
  return not all(jax.tree.leaves(jax.tree.map(np.array_equal, a, b)))


def _adam_count(opt_state):
  return int(next(s.count for s in jax.tree.leaves(
      opt_state, is_leaf=lambda s: isinstance(s, optax.ScaleByAdamState))
                  if isinstance(s, optax.ScaleByAdamState)))


def test_d_update_leaves_g_untouched_and_g_update_leaves_d_untouched():
  config = _tiny(gradient_penalty=1.0, r1_gamma=1.0)
  fns = _fns(config)
  batch = _batch()
  state = jax.device_get(fns.init(jax.random.key(0), batch))
  after_d, metrics = jax.jit(fns.d_update)(state, batch["image"],
                                           jax.random.key(1))
  after_d = jax.device_get(after_d)
  chex.assert_trees_all_equal(after_d.params["generator"],
                              state.params["generator"])
  chex.assert_trees_all_equal(after_d.opt_state["generator"],
                              state.opt_state["generator"])
  chex.assert_trees_all_equal(after_d.extra, state.extra)
  assert _changed(after_d.params["discriminator"],
                  state.params["discriminator"])
  assert int(after_d.step) == 0            # the generator's update advances
  assert {"d_loss", "d_gp", "d_r1"} <= set(metrics)

  after_g, metrics = jax.jit(fns.g_update, static_argnums=2)(
      after_d, jax.random.key(2), 32)
  after_g = jax.device_get(after_g)
  chex.assert_trees_all_equal(after_g.params["discriminator"],
                              after_d.params["discriminator"])
  chex.assert_trees_all_equal(after_g.opt_state["discriminator"],
                              after_d.opt_state["discriminator"])
  assert _changed(after_g.params["generator"], after_d.params["generator"])
  assert _changed(after_g.extra, after_d.extra)   # batch-norm averages
  assert int(after_g.step) == 1 and "g_loss" in metrics


def test_n_critic_discriminator_updates_per_step():
  config = _tiny("wgan_gp_mnist")
  fns = _fns(config)
  batch = _batch()
  state = fns.init(jax.random.key(0), batch)
  state, metrics = jax.jit(fns.train_step)(state, batch)
  assert config.gan.n_critic == 5
  assert _adam_count(state.opt_state["discriminator"]) == 5
  assert _adam_count(state.opt_state["generator"]) == 1
  assert int(state.step) == 1
  assert {"d_loss", "g_loss", "d_gp", "wasserstein"} <= set(metrics)


@pytest.mark.parametrize("name,fields", [
    ("dcgan_mnist", dict(spectral_norm=True, ema_decay=0.5)),
    ("wgan_gp_mnist", dict(augment="translation,cutout"))])
def test_pmap_step_equals_jit_step(name, fields):
  """Batch-norm statistics, noise, gradient-penalty and augmentation draws
  are global, and the power-iteration vectors and the moving average follow
  from the replicated parameters: eight devices reproduce the
  single-device step."""
  config = _tiny(name, r1_gamma=0.5, **fields)
  config.gan.n_critic = 2
  method = gan.build(config, image_spec(SHAPE))
  batches = [_batch(seed=s) for s in range(2)]
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  a, b = pmap_and_jit_states(step_of(method), state, batches,
                             metric_atol=1e-4)
  chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)
  chex.assert_trees_all_close(a.extra, b.extra, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("field,value,message", [
    ("loss", "wgan", "unknown"),
    ("gradient_penalty", 0.0, "Lipschitz"),
    ("n_critic", 0, "n_critic"),
    ("real_label", 0.9, "cross-entropy"),
    ("ema_decay", 1.5, "ema_decay"),
    ("augment", "translation,flip", "augment: unknown augmentation 'flip'"),
])
def test_bad_settings_are_one_line_user_errors(field, value, message):
  config = _tiny("wgan_gp_mnist")
  config.gan[field] = value
  with pytest.raises(UserError, match=message) as err:
    configs.validate(config)
  assert "\n" not in str(err.value)
  config = _tiny("wgan_gp_mnist")
  config.gan.num_scales = 3
  with pytest.raises(UserError, match="divisible"):
    gan.build(config, image_spec(SHAPE))


@pytest.mark.optimized
def test_training_lowers_fid_and_keeps_snapshots_in_the_state(tmp_path):
  # Without the recipe's R1, which slows these small networks' first steps.
  config = _tiny(ema_decay=0.9, ema_start=40, r1_gamma=0.0)
  config.gan.update(g_channels=32, d_channels=16, noise_dim=16,
                    fid_samples=400)
  config.data.update(num_train=2000, num_test=400, batch_size=64)
  config.train.update(num_steps=240, eval_every=80, log_every=40,
                      checkpoint_every=1000)
  results = run(config, str(tmp_path))
  records = [r for r in read_metrics(str(tmp_path)) if "eval_fid" in r]
  assert [r["step"] for r in records] == [80, 160]
  # FID falls with training (slowly, with these small networks) and stays
  # above the real-data floor.
  assert results["test_fid"] < 0.9 * records[0]["eval_fid"]
  assert results["test_fid"] > results["test_fid_floor"] > 0
  assert results["test_classifier_test_accuracy"] > 0.97
  assert results["test_classes_covered"] >= 3
  assert results["test_fid_raw"] > results["test_fid_floor"]
  from tests.helpers import load_state  # pylint: disable=g-import-not-at-top
  state = load_state(config, str(tmp_path))
  assert sorted(gan_eval.snapshots_of(state)) == [0, 80, 160]
  for name in ("samples_during_training", "fid_and_losses", "interpolations",
               "class_histogram", "samples", "samples_ema_vs_raw",
               "nearest_training_images"):
    assert os.path.getsize(tmp_path / "figures" / f"{name}.png") > 1000


def _two_steps(config, batch):
  fns = _fns(config)
  state0 = jax.device_get(fns.init(jax.random.key(0), batch))
  step = jax.jit(fns.train_step)
  state = state0
  for _ in range(2):
    state, _ = step(state, batch)
  return state0, jax.device_get(state)


def test_ema_generator_is_the_raw_one_at_decay_0_and_fixed_at_decay_1():
  batch = _batch()
  _, state = _two_steps(_tiny(ema_decay=0.0, ema_start=0), batch)
  chex.assert_trees_all_equal(state.extra["ema"]["params"],
                              state.params["generator"])
  chex.assert_trees_all_equal(state.extra["ema"]["batch_stats"],
                              state.extra["batch_stats"])
  state0, state = _two_steps(_tiny(ema_decay=1.0, ema_start=0), batch)
  assert _changed(state.params["generator"], state0.params["generator"])
  chex.assert_trees_all_equal(state.extra["ema"]["params"],
                              state0.params["generator"])
  # Before `ema_start` the average copies the generator, whatever the decay.
  _, state = _two_steps(_tiny(ema_decay=1.0, ema_start=5), batch)
  chex.assert_trees_all_equal(state.extra["ema"]["params"],
                              state.params["generator"])


def test_ema_is_a_moving_average_of_the_generator():
  config = _tiny(ema_decay=0.75, ema_start=0)
  fns = _fns(config)
  batch = _batch()
  state = fns.init(jax.random.key(0), batch)
  state, _ = jax.jit(fns.train_step)(state, batch)
  before = jax.device_get(state.extra["ema"]["params"])
  state, _ = jax.jit(fns.train_step)(state, batch)
  expected = jax.tree.map(lambda a, g: 0.75 * a + 0.25 * g, before,
                          jax.device_get(state.params["generator"]))
  chex.assert_trees_all_close(state.extra["ema"]["params"], expected,
                              rtol=1e-6, atol=1e-7)


def test_two_time_scales_use_their_own_learning_rates():
  """Adam's first update moves each weight by lr * |g| / (|g| + eps), that
  is by lr wherever the gradient is well above eps."""
  config = _tiny(g_learning_rate=1e-3, d_learning_rate=4e-3)
  fns = _fns(config)
  state0 = jax.device_get(fns.init(jax.random.key(0), _batch()))
  one = jax.device_get(jax.jit(fns.train_step)(state0, _batch())[0])
  for part, lr in (("generator", 1e-3), ("discriminator", 4e-3)):
    moves = np.concatenate([np.abs(np.ravel(a - b)) for a, b in zip(
        jax.tree.leaves(one.params[part]),
        jax.tree.leaves(state0.params[part]))])
    np.testing.assert_allclose(np.median(moves[moves > 0]), lr, rtol=1e-2)
    assert moves.max() <= lr * (1 + 1e-4)   # rounding of w - w'


def test_learning_rates_decay_linearly_to_zero_after_decay_from():
  """gan.decay_from = 0.6 of 10 steps: the peak for 6 updates, then
  peak * (1 - k / 4) at the k-th of the last 4 (D counts n_critic updates
  per step); 1 keeps the peak."""
  assert gan.learning_rate(3e-4, 10, 1.0) == 3e-4
  schedule = gan.learning_rate(3e-4, 10, 0.6)
  expected = [3e-4] * 7 + [3e-4 * (1 - k / 4) for k in range(1, 4)] + [0.0]
  np.testing.assert_allclose([schedule(i) for i in range(11)], expected,
                             rtol=1e-6, atol=1e-12)
  config = _tiny(decay_from=0.5, n_critic=2, g_learning_rate=2e-4,
                 d_learning_rate=4e-4)
  config.train.num_steps = 8
  tx = gan.optimizers(config)
  params = {"w": np.ones(3, np.float32)}
  for part, updates, peak in (("generator", 8, 2e-4),
                              ("discriminator", 16, 4e-4)):
    opt_state = tx[part].init(params)
    moves = []
    for _ in range(updates):
      step, opt_state = tx[part].update({"w": np.ones(3, np.float32)},
                                        opt_state)
      moves.append(-float(step["w"][0]))
    # Adam's step on a constant gradient is the learning rate.
    np.testing.assert_allclose(
        moves, [float(gan.learning_rate(peak, updates, 0.5)(i))
                for i in range(updates)], rtol=1e-4)
    assert moves[updates // 2] == pytest.approx(peak, rel=1e-4)
    assert moves[-1] == pytest.approx(peak / (updates // 2), rel=1e-4)


def test_spectral_vectors_advance_in_the_discriminator_update_only():
  config = _tiny("hinge_gan_mnist", spectral_norm=True)
  fns = _fns(config)
  batch = _batch()
  state = jax.device_get(fns.init(jax.random.key(0), batch))
  assert set(state.extra["spectral"]) == {f"SpectralNorm_{i}"
                                          for i in range(3)}
  after_d, _ = jax.jit(fns.d_update)(state, batch["image"],
                                     jax.random.key(1))
  assert _changed(after_d.extra["spectral"], state.extra["spectral"])
  after_g, _ = jax.jit(fns.g_update, static_argnums=2)(
      after_d, jax.random.key(2), 32)
  chex.assert_trees_all_equal(after_g.extra["spectral"],
                              after_d.extra["spectral"])


def test_moving_average_and_spectral_state_resume_exactly(tmp_path):
  # 8x8 digits: no FID network, so the run needs no feature classifier.
  config = _tiny("hinge_gan_mnist", spectral_norm=True, ema_decay=0.5,
                 ema_start=0)
  config.data.update(name="digits", num_train=256, num_test=100,
                     batch_size=32)
  config.train.update(num_steps=4, eval_every=0, checkpoint_every=2,
                      log_every=1)
  whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
  run(config, whole)
  with pytest.raises(errors.Interrupted):
    run(config, parts, stop_after=2)
  results = run(config, parts)
  from tests.helpers import load_state  # pylint: disable=g-import-not-at-top
  a, b = load_state(config, whole), load_state(config, parts)
  assert int(a.step) == int(b.step) == 4
  chex.assert_trees_all_equal(a.params, b.params)
  chex.assert_trees_all_equal(a.extra["ema"], b.extra["ema"])
  chex.assert_trees_all_equal(a.extra["spectral"], b.extra["spectral"])
  assert _changed(a.extra["ema"]["params"], a.params["generator"])
  assert "steps" in results


def test_lazy_r1_is_k_times_the_penalty_on_every_kth_step_only():
  """With `r1_every` = 3 the discriminator update of step 0 equals eager R1
  of weight 3 gamma, and that of step 1 equals no R1 at all."""
  batch = _batch()
  key = jax.random.key(1)

  def d_params_after(step, **fields):
    fns = _fns(_tiny(**fields))
    state = fns.init(jax.random.key(0), batch).replace(step=step)
    new, metrics = jax.jit(fns.d_update)(state, batch["image"], key)
    return jax.device_get(new.params["discriminator"]), metrics

  lazy0, m0 = d_params_after(0, r1_gamma=0.5, r1_every=3)
  eager, m_eager = d_params_after(0, r1_gamma=1.5, r1_every=1)
  chex.assert_trees_all_close(lazy0, eager, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(m0["d_r1"], 3 * m_eager["d_r1"], rtol=1e-5)
  lazy1, m1 = d_params_after(1, r1_gamma=0.5, r1_every=3)
  plain, _ = d_params_after(1, r1_gamma=0.0, r1_every=1)
  chex.assert_trees_all_close(lazy1, plain, rtol=1e-5, atol=1e-6)
  assert float(m1["d_r1"]) == 0.0 and float(m0["d_r1"]) > 0
