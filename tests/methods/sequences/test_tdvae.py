"""TD-VAE as a method: time pairs, rollouts, pmap = jit, exact resume, the
evaluation's alignment against direct computations, config errors and the
TFDS path. Tiny networks on short oscillator sequences."""

import os

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.helpers import assert_resumes_exactly, build, first_batches, \
    load_config, pmap_and_jit_states, run
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.methods.sequences import tdvae as method_lib
from unsup_jax.methods.sequences import tdvae_predict
from unsup_jax.ops import kalman
from unsup_jax.training.contract import step_phases


def _tiny(name="tdvae_oscillator"):
  config = load_config(name)
  config.train.parallel = "jit"
  config.data.update(num_train=64, num_test=32, batch_size=16)
  return config


def test_pairs_fit_the_sequence_and_cover_every_jump():
  keys = jax.random.split(jax.random.key(0), 500)
  t1, jump, pair_keys = jax.device_get(method_lib.draw_pairs(
      keys, length=12, max_jump=4, pairs=3))
  assert t1.shape == jump.shape == (500, 3) and pair_keys.shape == (500, 3)
  assert jump.min() == 1 and jump.max() == 4
  assert t1.min() == 0 and (t1 + jump).max() == 11
  assert np.all(t1 + jump <= 11)
  counts = np.bincount(jump.ravel())[1:]
  assert counts.min() > 0.8 * counts.mean()     # about uniform: 375 each
  # Each pair draws its own noise; the same key draws the same pairs.
  again = jax.device_get(method_lib.draw_pairs(keys, length=12, max_jump=4,
                                               pairs=3))
  np.testing.assert_array_equal(again[0], t1)


def test_rollouts_have_the_requested_shapes_and_depend_on_the_key():
  config = _tiny()
  method, data = build(config)
  batch = first_batches(config, 1)[0]
  state = jax.device_get(method.init(jax.random.key(0), batch))
  model, _ = method_lib.make_models(config.tdvae, (1,))
  params = state.params["tdvae"]
  b = tdvae_predict.beliefs(params, jnp.asarray(batch["frames"][:5]),
                         model=model)
  assert b.shape == (5, 40, config.tdvae.belief_size)
  draw = lambda seed, jump=2, n=3: np.asarray(tdvae_predict.rollout(
      jax.random.key(seed), params, b[:, 9], model=model, jump=jump,
      num_jumps=n))
  out = draw(1)
  assert out.shape == (5, 3, 1)
  np.testing.assert_array_equal(out, draw(1))
  assert not np.allclose(out, draw(2))
  assert draw(1, jump=5, n=6).shape == (5, 6, 1)
  out = tdvae_predict.predict_jump(
      jax.random.key(3), params, b[:, 9], jnp.asarray(batch["frames"][:5, 12]),
      model=model, jump=3, samples=4)
  assert set(out) == {"mean", "ll", "best"}
  assert out["mean"].shape == (5, 1) and out["ll"].shape == (5,)
  assert out["best"].shape == (5,)
  assert np.all(np.isfinite(out["ll"]))


def test_pmap_steps_equal_jit_steps():
  config = _tiny()
  config.data.batch_size = 8
  method, _ = build(config)
  batches = first_batches(config, 2)
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  for phase in step_phases(method):
    a, b = pmap_and_jit_states(phase.step, state, batches, metric_atol=1e-4)
    chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)


def test_each_phase_moves_only_its_network():
  config = _tiny()
  method, _ = build(config)
  batch = first_batches(config, 1)[0]
  state = jax.device_get(method.init(jax.random.key(0), batch))
  moved = {"train": "tdvae", "baseline": "baseline"}
  for phase in step_phases(method):
    after, metrics = jax.device_get(jax.jit(phase.step)(state, batch))
    assert np.isfinite(metrics["loss"])
    for part in state.params:
      same = jax.tree.all(jax.tree.map(np.array_equal, after.params[part],
                                       state.params[part]))
      assert same == (part != moved[phase.name]), (phase.name, part)


def test_warmup_weighs_the_latent_terms():
  config = _tiny()
  config.tdvae.warmup_steps = 4
  method, _ = build(config)
  batch = first_batches(config, 1)[0]
  state = jax.device_get(method.init(jax.random.key(0), batch))
  step = jax.jit(step_phases(method)[0].step)
  for expected in (0.0, 0.25):
    state, m = jax.device_get(step(state, batch))
    assert m["beta"] == pytest.approx(expected)
    assert m["loss"] == pytest.approx(
        m["loss_rec"] + expected * (m["loss_kl"] + m["loss_transition"]),
        rel=1e-5)
    assert m["bound"] == pytest.approx(
        -(m["loss_rec"] + m["loss_kl"] + m["loss_transition"]), rel=1e-5)


def test_resumes_exactly_and_scores_aligned_predictions(tmp_path):
  config = _tiny()
  config.train.update(num_steps=6, checkpoint_every=2, eval_every=0)
  config.tdvae.update(eval_sequences=32, eval_samples=2)
  config.baseline.num_steps = 0      # its resume is the same engine's
  results, whole = assert_resumes_exactly(config, tmp_path, stop_after=5)

  # The copy baseline and the Kalman filter, recomputed directly.
  _, data = build(config)
  frames = np.asarray(data.view.split("test")["frames"], np.float64)
  ts = np.arange(config.tdvae.eval_from, 40 - config.tdvae.max_jump)
  ssm = kalman.LinearGaussian.from_arrays(
      data.dataset.meta["state_space_model"])
  filtered = jax.vmap(lambda y: kalman.kalman_filter(ssm, y))(
      jnp.asarray(frames, jnp.float32))
  saved = np.load(os.path.join(whole, "predictions.npz"))
  assert saved["mse_kalman"].shape == (config.tdvae.max_jump,)
  for d in (1, 7):
    copy = np.mean(np.square(frames[:, ts + d] - frames[:, ts]))
    assert results[f"test_mse_copy_d{d}"] == pytest.approx(copy, rel=1e-5)
    _, _, m, _ = kalman.predict(ssm, filtered.mean[:, ts],
                                filtered.cov[:, ts], d)
    direct = np.mean(np.square(frames[:, ts + d] - np.asarray(m)))
    assert results[f"test_mse_kalman_d{d}"] == pytest.approx(direct,
                                                             rel=1e-4)
    assert saved["mse_kalman"][d - 1] == pytest.approx(
        results[f"test_mse_kalman_d{d}"])
  # On these 32 sequences the optimal filter beats copying and an untrained
  # network at every jump, in error and in log-likelihood.
  assert "test_mse_lstm_d1" not in results
  for d in range(1, config.tdvae.max_jump + 1):
    for other in ("copy", "tdvae"):
      assert results[f"test_mse_kalman_d{d}"] < results[f"test_mse_{other}_d{d}"]
      assert results[f"test_ll_kalman_d{d}"] > results[f"test_ll_{other}_d{d}"]


@pytest.mark.parametrize("change,message", [
    (lambda c: c.tdvae.update(max_jump=40), "max_jump .40. must be <"),
    (lambda c: c.tdvae.update(eval_from=35), "eval_from . max_jump"),
    (lambda c: c.tdvae.update(observe=40), "a rollout needs a future"),
    (lambda c: c.data.update(name="mnist5k"), "needs feature 'frames'"),
])
def test_settings_that_do_not_fit_the_data_are_one_line_user_errors(
    change, message):
  config = _tiny()
  change(config)
  configs.validate(config)
  with pytest.raises(UserError, match=message) as err:
    build(config)
  assert "\n" not in str(err.value)


@pytest.mark.parametrize("change,message", [
    (lambda c: c.tdvae.update(rollout_jump=20), "rollout_jump"),
    (lambda c: c.data.update(binarize="dynamic"), "leave them at 'none'"),
    (lambda c: c.tdvae.update(likelihood="poisson"), "likelihood"),
])
def test_bad_settings_are_one_line_user_errors(change, message):
  config = _tiny()
  change(config)
  with pytest.raises(UserError, match=message) as err:
    configs.validate(config)
  assert "\n" not in str(err.value)


def test_the_tfds_moving_mnist_path_trains_and_reports(tmp_path):
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  config = load_config("tdvae_moving_digits")
  config.train.parallel = "jit"
  config.data.update(name="tfds:moving_mnist", num_train=0, num_test=0)
  config.train.update(eval_every=0, num_steps=2)
  config.baseline.num_steps = 0
  config.tdvae.update(eval_sequences=4, rollouts_shown=1)
  with tfds.testing.mock_data(num_examples=40):
    results = run(config, str(tmp_path))
  assert np.isfinite(results["test_mse_tdvae_d1"])
  assert "test_rollout_identity" not in results    # 64x64, two digits
  assert os.path.exists(tmp_path / "figures" / "rollouts.png")


def test_switching_digit_predictions_against_their_samples_recomputed():
  """`predict_jump` on 28x28 frames: its mean, best-of-K error, column
  masses and Monte-Carlo log-likelihood recomputed in numpy from the same
  sampled states (Bernoulli frames: log-likelihood from the logits)."""
  config = _tiny("tdvae_switching_digits")
  method, _ = build(config)
  batch = first_batches(config, 1)[0]
  state = jax.device_get(method.init(jax.random.key(0), batch))
  model, _ = method_lib.make_models(config.tdvae, (28, 28, 1))
  params = state.params["tdvae"]
  b = tdvae_predict.beliefs(params, jnp.asarray(batch["frames"][:3]),
                            model=model)[:, 6]
  x = np.asarray(batch["frames"][:3, 8])
  key, samples = jax.random.key(4), 5
  out = jax.device_get(tdvae_predict.predict_jump(
      key, params, b, jnp.asarray(x), model=model, jump=2, samples=samples,
      frame_shape=(28, 28, 1)))
  keys = lambda salt: jax.random.split(jax.random.fold_in(key, salt),
                                       3 * samples)
  z = tdvae_predict.sample_jump(model, params, tdvae_predict.sample_belief(
      model, params, jnp.repeat(b, samples, axis=0), keys(0)), 2, keys(1))
  logits = np.asarray(model.apply({"params": params}, z,
                                  method=model.decode), np.float64)
  probs = (1 / (1 + np.exp(-logits))).reshape(3, samples, -1)
  flat = x.reshape(3, 1, -1).astype(np.float64)
  np.testing.assert_allclose(out["mean"], probs.mean(1), rtol=1e-5,
                             atol=1e-6)
  np.testing.assert_allclose(
      out["best"], np.square(probs - flat).mean(-1).min(-1), rtol=1e-5)
  np.testing.assert_allclose(
      out["columns"], probs.reshape(3, samples, 28, 28).sum(2), rtol=1e-5)
  log_p = (flat * -np.logaddexp(0, -logits.reshape(3, samples, -1)) +
           (1 - flat) * -np.logaddexp(0, logits.reshape(3, samples, -1)))
  per_sample = log_p.sum(-1)
  expected = np.log(np.mean(np.exp(per_sample - per_sample.max(1, keepdims=True)),
                            1)) + per_sample.max(1)
  np.testing.assert_allclose(out["ll"], expected, rtol=1e-5)


def test_spreads_of_sampled_and_true_positions():
  from unsup_jax.methods.sequences import tdvae_scores
  # Point masses at known columns: each sample's displacement is exact.
  moved = np.array([[1.0, -1.0, 1.0, 3.0], [2.0, 2.0, 2.0, 2.0]])
  now = np.array([10.0, 27.0])
  columns = np.zeros((2, 4, 28))
  for i in range(2):
    for s in range(4):
      columns[i, s, int((now[i] + moved[i, s]) % 28)] = 1.0
  expected = np.sqrt(np.mean(np.var(moved, axis=1)))
  np.testing.assert_allclose(tdvae_scores.sample_spread(columns, now),
                             expected, rtol=1e-9)
  # One move ahead the displacement is +-1: std 2 sqrt(p (1 - p)).
  for p in (0.0, 0.2, 0.5):
    np.testing.assert_allclose(tdvae_scores.true_spread(p, 1),
                               2 * np.sqrt(p * (1 - p)), atol=1e-12)
