"""Weakly supervised VAEs (`methods/disentanglement/weak_vae.py`) and
their maths: which units a pair shares, how they are aggregated, pmap =
jit."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.helpers import load_config, pmap_and_jit_states, step_of
from tests.methods.vae.test_disentangling_vae import SHAPE, _batches, _spec
from unsup_jax.data.dataset import Feature, Spec
from unsup_jax.errors import UserError
from unsup_jax.losses import disentanglement as dl
from unsup_jax.methods.disentanglement import weak_vae


def test_the_closest_units_are_shared_and_aggregated():
  mean_a = jnp.array([[0.0, 1.0, 2.0, -2.0]])
  mean_b = jnp.array([[0.05, 1.0, -1.0, 2.0]])
  logvar_a = jnp.log(jnp.array([[0.5, 0.2, 0.1, 0.3]]))
  logvar_b = jnp.log(jnp.array([[0.5, 0.3, 0.1, 0.3]]))
  shared = dl.adaptive_shared_units(mean_a, logvar_a, mean_b, logvar_b)
  np.testing.assert_array_equal(shared, [[True, True, False, False]])
  ma, la, mb, lb = dl.aggregate_posteriors(mean_a, logvar_a, mean_b,
                                           logvar_b, shared, kind="gvae")
  np.testing.assert_allclose(ma[0, :2], [0.025, 1.0], rtol=1e-6)
  np.testing.assert_allclose(jnp.exp(la[0, :2]), [0.5, 0.25], rtol=1e-6)
  np.testing.assert_array_equal(ma[:, :2], mb[:, :2])
  np.testing.assert_array_equal(ma[:, 2:], mean_a[:, 2:])   # kept apart
  np.testing.assert_array_equal(lb[:, 2:], logvar_b[:, 2:])
  ma, la, _, _ = dl.aggregate_posteriors(mean_a, logvar_a, mean_b, logvar_b,
                                         shared, kind="mlvae")
  # The product of N(1, 0.2) and N(1, 0.3): variance 0.12, mean 1.
  np.testing.assert_allclose(jnp.exp(la[0, 1]), 0.12, rtol=1e-5)
  np.testing.assert_allclose(ma[0, 1], 1.0, rtol=1e-6)
  kl = dl.kl_per_unit(mean_a, logvar_a, mean_a, logvar_a)
  np.testing.assert_allclose(kl, 0.0, atol=1e-7)


def _config():
  config = load_config("ada_gvae_dsprites")
  config.vae.update(kind="mlp", encoder_hidden=(16,), decoder_hidden=(16,),
                    latent_dim=3)
  return config


def _pair_spec():
  spec = _spec()
  features = dict(spec.streams["train"],
                  pair_image=Feature(SHAPE, "float32"))
  return Spec({"train": features}, spec.meta, "pairs")


def _pair_batches():
  batches = _batches(4)
  return [dict(a, pair_image=b["image"]) for a, b in zip(batches[::2],
                                                         batches[1::2])]


@pytest.mark.parametrize("aggregation", ["gvae", "mlvae"])
def test_pmap_step_equals_jit_step(aggregation):
  config = _config()
  config.weak.aggregation = aggregation
  method = weak_vae.build(config, _pair_spec())
  batches = _pair_batches()
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  a, b = pmap_and_jit_states(step_of(method), state, batches,
                             metric_atol=1e-4)
  chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)


def test_without_pairs_the_data_is_named():
  with pytest.raises(UserError, match="pair_image"):
    weak_vae.build(_config(), _spec())
