"""Non-finite losses skip the update, are counted, and stop a run."""

import chex
import jax
import numpy as np
import pytest

from tests.helpers import Engine, build, load_config, load_state, run, \
    step_of
from unsup_jax import errors


def test_nan_batch_skips_update_and_counts():
  config = load_config("vae_mnist")
  config.optim.warmup_steps = 0     # the first update moves the parameters
  method, data = build(config)
  good = data.iterator("train").batch_at(0)
  bad = dict(good, image=np.full_like(good["image"], np.nan))
  engine = Engine(step_of(method), "jit")
  state0 = method.init(jax.random.key(0), good)
  params0 = jax.device_get(state0.params)
  state = engine.put_state(state0)
  state, metrics = engine.step(state, bad)
  host = engine.get_state(state)
  chex.assert_trees_all_equal(host.params, params0)
  assert int(host.step) == 1
  assert int(host.nonfinite_streak) == 1 and int(host.nonfinite_total) == 1
  assert engine.get_metrics(metrics)["nonfinite_total"] == 1
  state, _ = engine.step(state, good)
  host = engine.get_state(state)
  assert int(host.nonfinite_streak) == 0 and int(host.nonfinite_total) == 1
  assert not np.allclose(jax.tree.leaves(host.params)[0],
                         jax.tree.leaves(params0)[0])


def test_run_stops_after_max_nonfinite_in_a_row(tmp_path):
  config = load_config("vae_mnist")
  config.train.parallel = "jit"
  config.train.num_steps = 20
  config.train.max_nonfinite = 3
  config.optim.learning_rate = 1e38       # params overflow after one step
  config.optim.warmup_steps = 0
  # Steps 2, 3, 4 are skipped; the streak is read at the log step 4.
  assert config.train.log_every == 2
  with pytest.raises(errors.Diverged, match="3 non-finite"):
    run(config, str(tmp_path))
  state = load_state(config, str(tmp_path))
  assert int(state.nonfinite_streak) == 3
  assert int(state.nonfinite_total) == 3
