"""FactorVAE (`methods/disentanglement/factor_vae.py`): each half of the
step moves only its own network, pmap = jit, and the shuffled codes'
marginals."""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np

from tests.helpers import load_config, pmap_and_jit_states, step_of
from tests.methods.vae.test_disentangling_vae import SHAPE, _batches, _spec
from unsup_jax.losses import disentanglement
from unsup_jax.methods.disentanglement import factor_vae


def _config():
  config = load_config("factor_vae_dsprites")
  config.vae.update(kind="mlp", encoder_hidden=(16,), decoder_hidden=(16,),
                    latent_dim=3)
  config.factor_vae.disc_hidden = (16, 16)
  return config


def _changed(a, b):
  return not all(jax.tree.leaves(jax.tree.map(np.array_equal, a, b)))


def test_each_update_moves_only_its_own_network():
  config = _config()
  nets, tx = factor_vae.networks(config, SHAPE), factor_vae.optimizers(config)
  bound = dict(nets=nets, tx=tx)
  batch = _batches(1)[0]
  state = factor_vae.init(jax.random.key(0), batch, **bound)
  after_vae, metrics, z = jax.jit(functools.partial(
      factor_vae.vae_update, v=config.vae, gamma=config.factor_vae.gamma,
      dataset_size=1000, **bound))(state, batch["image"], jax.random.key(1))
  assert _changed(after_vae.params["vae"], state.params["vae"])
  chex.assert_trees_all_equal(after_vae.params["discriminator"],
                              state.params["discriminator"])
  chex.assert_trees_all_equal(after_vae.opt_state["discriminator"],
                              state.opt_state["discriminator"])
  assert z.shape == (16, 3) and "tc_estimate" in metrics
  after_d, _ = jax.jit(functools.partial(factor_vae.d_update, **bound))(
      after_vae, z, jax.random.key(2))
  assert _changed(after_d.params["discriminator"],
                  after_vae.params["discriminator"])
  chex.assert_trees_all_equal(after_d.params["vae"], after_vae.params["vae"])
  chex.assert_trees_all_equal(after_d.opt_state["vae"],
                              after_vae.opt_state["vae"])
  assert int(after_d.step) == int(state.step) + 1


def test_pmap_step_equals_jit_step():
  method = factor_vae.build(_config(), _spec())
  batches = _batches()
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  a, b = pmap_and_jit_states(step_of(method), state, batches,
                             metric_atol=1e-4)
  chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)


def test_shuffled_codes_keep_each_marginal_and_lose_the_pairing():
  z = jnp.stack([jnp.arange(50.0), jnp.arange(50.0) * 2], 1)
  s = np.asarray(disentanglement.permute_dims(jax.random.key(0), z))
  for d in range(2):
    np.testing.assert_array_equal(np.sort(s[:, d]), np.asarray(z[:, d]))
  assert np.mean(s[:, 1] == 2 * s[:, 0]) < 0.2     # pairs broken
  np.testing.assert_allclose(
      disentanglement.density_ratio_tc(jnp.full((8,), 0.7)), 0.7, rtol=1e-6)
