"""The adversarial autoencoder: each phase moves only its own networks,
pmap equals jit, and the codes move towards the prior."""

import functools

import chex
import jax
import numpy as np
import pytest

from tests.helpers import image_spec, load_config, pmap_and_jit_states, \
    step_of
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.methods.adversarial import aae

SHAPE = (28, 28, 1)


def _tiny():
  config = load_config("denoising_aae_mnist")
  config.train.parallel = "jit"
  config.autoencoder.update(encoder_hidden=(32,), decoder_hidden=(32,),
                            latent_dim=4)
  config.aae.disc_hidden = (16,)
  return config


def _batch(config, seed=0):
  from tests.helpers import first_batches  # pylint: disable=g-import-not-at-top
  return first_batches(config, 1 + seed)[seed]


def _changed(a, b):
  return not all(jax.tree.leaves(jax.tree.map(np.array_equal, a, b)))


def _bound(config) -> dict:
  """The networks and optimisers every function of the method takes."""
  return dict(nets=aae.networks(config, SHAPE), tx=aae.optimizers(config))


def _jit(fn, config):
  return jax.jit(functools.partial(fn, **_bound(config)))


def test_each_phase_moves_only_its_own_networks():
  config = _tiny()
  batch = _batch(config)
  state = jax.device_get(aae.init(jax.random.key(0), batch, **_bound(config)))
  rec, _ = _jit(aae.reconstruct_update, config)(state, batch)
  rec = jax.device_get(rec)
  assert _changed(rec.params["encoder"], state.params["encoder"])
  assert _changed(rec.params["decoder"], state.params["decoder"])
  chex.assert_trees_all_equal(rec.params["discriminator"],
                              state.params["discriminator"])
  reg, metrics = _jit(aae.regularise_update, config)(rec, batch,
                                                     jax.random.key(1))
  reg = jax.device_get(reg)
  # The discriminator's update and the encoder's adversarial update: the
  # decoder is untouched, and each optimiser's state only counts its own.
  chex.assert_trees_all_equal(reg.params["decoder"], rec.params["decoder"])
  assert _changed(reg.params["discriminator"], rec.params["discriminator"])
  assert _changed(reg.params["encoder"], rec.params["encoder"])
  chex.assert_trees_all_equal(reg.opt_state["reconstruction"],
                              rec.opt_state["reconstruction"])
  assert int(rec.step) == 0 and int(reg.step) == 1
  assert {"d_loss", "g_loss", "d_real_prob", "d_fake_prob"} <= set(metrics)


def test_discriminator_phase_alone_leaves_the_autoencoder():
  config = _tiny()
  config.aae.g_learning_rate = 1e-30    # the encoder's update ~ nothing
  batch = _batch(config)
  state = jax.device_get(aae.init(jax.random.key(0), batch, **_bound(config)))
  reg, _ = _jit(aae.regularise_update, config)(state, batch,
                                               jax.random.key(1))
  reg = jax.device_get(reg)
  chex.assert_trees_all_close(reg.params["encoder"], state.params["encoder"],
                              atol=1e-12)
  chex.assert_trees_all_equal(reg.params["decoder"], state.params["decoder"])


def test_pmap_step_equals_jit_step():
  config = _tiny()
  method = aae.build(config, image_spec(SHAPE))
  batches = [_batch(config, s) for s in range(2)]
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  a, b = pmap_and_jit_states(step_of(method), state, batches,
                             metric_atol=1e-4)
  chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)


def _prior_gap(codes):
  """How far codes `[N, D]` are from N(0, I) in their first two moments."""
  return (np.mean(np.abs(codes.mean(0))) ** 2 +
          (np.mean(codes.std(0)) - 1.0) ** 2)


def test_adversarial_phase_moves_the_codes_towards_the_prior():
  """Against the same autoencoder whose encoder ignores the discriminator
  (adversarial learning rate ~ 0), the codes end closer to N(0, I)."""
  from unsup_jax.data import sources  # pylint: disable=g-import-not-at-top
  from unsup_jax.data.iterators import BatchIterator  # pylint: disable=g-import-not-at-top
  data = sources.load("mnist5k", num_train=1000, num_test=200)
  train = BatchIterator(data.split("train"), global_batch_size=50, seed=0)
  batches = [train.batch_at(i) for i in range(20)]
  test = np.asarray(data.split("test")["image"])
  gaps = {}
  for name, g_lr in (("aae", 1e-3), ("plain", 1e-30)):
    config = _tiny()
    config.data.corruption = "none"
    config.aae.g_learning_rate = g_lr
    bound = _bound(config)
    state = aae.init(jax.random.key(0), batches[0], **bound)
    step = _jit(aae.train_step, config)
    for i in range(400):
      state, _ = step(state, batches[i % len(batches)])
    gaps[name] = _prior_gap(np.asarray(aae.encode(bound["nets"],
                                                  state.params, test)))
  assert gaps["aae"] < 0.5 * gaps["plain"], gaps


@pytest.mark.parametrize("field,value,message", [
    (("autoencoder", "kind"), "linear_tied", "linear_tied"),
    (("autoencoder", "code_activation"), "sigmoid", "Gaussian prior"),
])
def test_bad_settings_are_user_errors(field, value, message):
  config = _tiny()
  config[field[0]][field[1]] = value
  with pytest.raises(UserError, match=message) as err:
    configs.validate(config)
  assert "\n" not in str(err.value)
