"""The VAE's disentangling objectives (`vae.objective`): β-TCVAE and
DIP-VAE steps, pmap = jit with their batch-level penalties, bad settings."""

import chex
import jax
import numpy as np
import pytest

from tests.helpers import load_config, pmap_and_jit_states, step_of
from unsup_jax import configs
from unsup_jax.data.dataset import Feature, Spec
from unsup_jax.errors import UserError
from unsup_jax.methods.vae import vae

SHAPE = (8, 8, 1)


def _spec(num_train=1000):
  meta = {"num_classes": 10}
  if num_train:
    meta["num_train_examples"] = num_train
  return Spec({"train": {"image": Feature(SHAPE, "float32"),
                         "label": Feature((), "int32")}}, meta, "images")


def _config(objective, **fields):
  config = load_config("vae_mnist")
  config.vae.update(kind="mlp", encoder_hidden=(16,), decoder_hidden=(16,),
                    latent_dim=3, objective=objective, probe_labels=(),
                    **fields)
  return config


def _batches(n=2, b=16):
  rng = np.random.default_rng(0)
  return [{"image": (rng.random((b,) + SHAPE) > 0.5).astype(np.float32),
           "label": np.zeros(b, np.int32)} for _ in range(n)]


@pytest.mark.parametrize("objective,fields", [
    ("tcvae", dict(beta=6.0, tc_estimator="mss")),
    ("dip_vae_ii", dict(dip_lambda_od=3.0, dip_lambda_d=5.0))])
def test_pmap_step_equals_jit_step(objective, fields):
  """The penalties see the global batch on every device."""
  method = vae.build(_config(objective, **fields), _spec())
  batches = _batches()
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  a, b = pmap_and_jit_states(step_of(method), state, batches,
                             metric_atol=1e-4)
  chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)


def test_tcvae_at_unit_weights_is_the_sampled_elbo():
  """alpha = beta = gamma = 1: the three terms are the one-sample KL, so
  the loss is the reconstruction plus their sum; beta weighs TC alone."""
  batch = _batches(1)[0]
  losses = {}
  for beta in (1.0, 5.0):
    method = vae.build(_config("tcvae", beta=beta), _spec())
    state = method.init(jax.random.key(0), batch)
    _, m = jax.jit(step_of(method))(state, batch)
    m = jax.device_get(m)
    parts = m["mutual_info"] + m["total_correlation"] + m["dimensionwise_kl"]
    np.testing.assert_allclose(m["loss"], m["loss_rec"] + parts + (
        beta - 1.0) * m["total_correlation"], rtol=1e-5)
    losses[beta] = m
  # Same parameters and draws: only the TC weight differs.
  np.testing.assert_allclose(losses[1.0]["total_correlation"],
                             losses[5.0]["total_correlation"], rtol=1e-6)


def test_bad_settings_are_user_errors():
  with pytest.raises(UserError, match="number of training examples"):
    vae.build(_config("tcvae"), _spec(num_train=0))
  config = _config("dip_vae_i", capacity_max=5.0)
  with pytest.raises(UserError, match="capacity_max"):
    configs.validate(config)
