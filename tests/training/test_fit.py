"""In-memory training equals the engine's run on the same data and seed."""

import chex
import jax
import numpy as np

from tests.conftest import load_config
from unsup_jax.data import sources
from unsup_jax.training import fit, loop


def test_fit_method_equals_loop_run(tmp_path):
  config = load_config("ae_mnist")
  config.train.parallel = "jit"
  loop.run(config, str(tmp_path), progress=False)
  expected = loop.load_state(config, str(tmp_path))
  data = sources.load("mnist5k", num_train=config.data.num_train)
  init_key, _ = jax.random.split(jax.random.key(config.seed))
  _, state = fit.fit_method(config, np.asarray(data.train_images),
                            np.asarray(data.train_labels), key=init_key)
  assert int(state.step) == config.train.num_steps
  chex.assert_trees_all_close(state.params, expected.params, atol=1e-6)
