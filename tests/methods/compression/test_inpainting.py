"""Tests for the inpainting method (context encoder) and its experiment."""


import chex
import jax
import numpy as np
import pytest

from tests.helpers import build, image_spec, load_config, \
    pmap_and_jit_states, step_of
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.methods.compression import inpainting

_SHAPE = (8, 8, 1)


def _config(**inpaint):
  config = load_config("inpainting_mnist")
  config.inpaint.encoder_channels = (4, 8)
  config.inpaint.decoder_channels = (8, 4)
  config.inpaint.bottleneck = 8
  config.inpaint.disc_channels = (4,)
  config.inpaint.size = 4
  config.inpaint.update(inpaint)
  return config


def _batches(n=2, batch_size=4):
  rng = np.random.default_rng(0)
  return [{"image": rng.random((batch_size,) + _SHAPE).astype(np.float32)}
          for _ in range(n)]


def test_hole_loss_only_counts_hole_pixels():
  rng = np.random.default_rng(1)
  x, out = rng.random((3, 6, 6, 2)), rng.random((3, 6, 6, 2))
  mask = np.zeros((3, 6, 6, 1))
  mask[:, 1:4, 2:5] = 1
  loss, metrics = inpainting.hole_loss(x, out, mask)
  hole = mask[..., 0] == 1
  np.testing.assert_allclose(
      loss, np.mean([np.mean((x[b][hole[b]] - out[b][hole[b]])**2)
                     for b in range(3)]), rtol=1e-6)
  changed_known = np.where(mask == 1, out, rng.random(out.shape))
  np.testing.assert_allclose(inpainting.hole_loss(x, changed_known, mask)[0],
                             loss, rtol=1e-6)
  changed_hole = np.where(mask == 1, rng.random(out.shape), out)
  assert abs(float(inpainting.hole_loss(x, changed_hole, mask)[0]) -
             float(loss)) > 1e-3
  # known_weight adds the known-pixel error.
  weighted, _ = inpainting.hole_loss(x, out, mask, known_weight=0.5)
  np.testing.assert_allclose(weighted, loss + 0.5 * metrics["loss_known"],
                             rtol=1e-6)


def _train(config, batches):
  method = inpainting.build(config, image_spec(_SHAPE))
  state = method.init(jax.random.key(0), batches[0])
  start = state
  step = jax.jit(step_of(method))
  for batch in batches:
    state, metrics = step(state, batch)
  return method, start, state, metrics


def _changed(a, b):
  return any(not np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a),
                                                      jax.tree.leaves(b)))


def test_without_adversarial_weight_the_discriminator_is_frozen():
  batches = _batches()
  _, start, state, metrics = _train(_config(adversarial_weight=0.0), batches)
  assert _changed(start.params["generator"], state.params["generator"])
  assert not _changed(start.params["discriminator"],
                      state.params["discriminator"])
  assert "d_loss" not in metrics and np.isfinite(metrics["loss"])
  # The running mean image is the mean of every training image seen.
  seen = np.concatenate([b["image"] for b in batches])
  np.testing.assert_allclose(state.extra["mean_image"], seen.mean(0),
                             rtol=1e-5, atol=1e-6)
  assert float(state.extra["seen"]) == len(seen)


@pytest.mark.parametrize("loss", ["non_saturating", "hinge"])
def test_with_adversarial_weight_both_networks_train(loss):
  _, start, state, metrics = _train(
      _config(adversarial_weight=0.1, adversarial_loss=loss, mask="squares",
              count=2), _batches())
  assert _changed(start.params["generator"], state.params["generator"])
  assert _changed(start.params["discriminator"], state.params["discriminator"])
  assert {"d_loss", "g_loss", "d_real", "d_fake", "loss_hole"} <= set(metrics)
  np.testing.assert_allclose(metrics["loss"], metrics["loss_hole"] +
                             0.1 * metrics["g_loss"], rtol=1e-5)


def test_pmap_step_equals_jit_step():
  """Random masks keyed per example: 8 devices draw the single-device masks."""
  config = _config(adversarial_weight=0.1, mask="squares", count=2)
  config.optim.name = "sgd"       # linear in the gradient: round-off stays so
  config.optim.learning_rate = 1e-3
  batches = _batches(n=2, batch_size=16)
  method = inpainting.build(config, image_spec(_SHAPE))
  state = method.init(jax.random.key(0), batches[0])
  s1, s8 = pmap_and_jit_states(step_of(method), state, batches,
                               metric_atol=1e-6)
  chex.assert_trees_all_close(s8.params, s1.params, rtol=1e-4, atol=1e-6)
  chex.assert_trees_all_close(s8.extra, s1.extra, rtol=1e-5, atol=1e-6)


def test_bad_settings_are_user_errors():
  with pytest.raises(UserError, match="mask"):
    configs.validate(_config(mask="circle"))
  with pytest.raises(UserError, match="adversarial_weight"):
    configs.validate(_config(adversarial_weight=-1.0))
  with pytest.raises(UserError, match="adversarial_loss"):
    configs.validate(_config(adversarial_loss="wgan"))


def test_evaluation_baselines_and_figure_arrays():
  config = load_config("inpainting_mnist")
  config.train.parallel = "jit"
  method, data = build(config)
  state = method.init(jax.random.key(0), data.iterator("train").batch_at(0))
  metrics, outputs = method.evaluate(state, data.view, jax.random.key(1),
                                     full=True)
  # Zero fill, computed independently: the centre 12x12 of the test digits.
  test = data.view.split("test")["image"]
  centre = np.asarray(test, np.float64)[:, 8:20, 8:20]
  assert metrics["hole_mse_zero_fill"] == pytest.approx(np.mean(centre**2),
                                                        rel=1e-4)
  assert metrics["hole_mse_ratio_mean_fill"] == pytest.approx(
      metrics["hole_mse"] / metrics["hole_mse_mean_fill"])
  shown = outputs["shown"]
  hole = np.zeros(shown.shape[1:3], bool)
  hole[8:20, 8:20] = True
  # Known pixels are kept in the filled images, only the hole is drawn.
  np.testing.assert_allclose(outputs["filled"][:, ~hole], shown[:, ~hole],
                             atol=1e-6)
  np.testing.assert_allclose(outputs["mean_filled"][:, ~hole],
                             shown[:, ~hole], atol=1e-6)
