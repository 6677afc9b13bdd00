"""The image VAE with the KL schedules and free bits of `ops/schedules.py`
(shared with the sentence VAE): the step reads the configured weight and
the free-bits objective."""

import jax
import numpy as np
import pytest

from tests.helpers import build, first_batches, load_config
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.ops import schedules
from unsup_jax.training.contract import step_phases


def test_cyclical_weight_and_free_bits_in_the_vae_step():
  config = load_config("vae_mnist")
  config.vae.update(kl_schedule="cyclical", kl_warmup_steps=4,
                    kl_ramp_fraction=0.5, free_bits=0.5)
  configs.validate(config)
  method, _ = build(config)
  batches = first_batches(config, 5)
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  step = jax.jit(step_phases(method)[0].step)
  floor_total = 0.5 * config.vae.latent_dim
  for i, batch in enumerate(batches):
    state, m = jax.device_get(step(state, batch))
    want = schedules.cyclical(i, end_value=1.0, period=4, ramp_fraction=0.5)
    assert m["beta"] == pytest.approx(float(want))
    # sum_u max(floor, mean KL_u) is at least the floors and the plain KL.
    assert m["loss_kl_free_bits"] >= max(floor_total, m["loss_kl"]) - 1e-4
    assert m["loss"] == pytest.approx(
        m["loss_rec"] + m["beta"] * m["loss_kl_free_bits"], rel=1e-5)
  assert np.isfinite(m["loss"])


def test_free_bits_with_another_kl_objective_is_a_user_error():
  config = load_config("vae_mnist")
  config.vae.update(free_bits=0.5, objective="tcvae")
  with pytest.raises(UserError, match="free_bits") as err:
    configs.validate(config)
  assert "\n" not in str(err.value)
