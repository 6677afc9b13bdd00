"""A pmap step on 8 fake CPU devices equals the jit step on the same batch."""

import chex
import jax
import numpy as np
import pytest

from tests.conftest import load_config, pmap_and_jit_states
from unsup_jax.data import sources
from unsup_jax.data.iterators import BatchIterator
from unsup_jax.errors import UserError
from unsup_jax.methods import registry
from unsup_jax.training import parallel


def _first_batches(config, n):
  data = sources.load(config.data.name, num_train=256)
  it = BatchIterator(data.train_images, data.train_labels,
                     global_batch_size=config.data.batch_size, seed=0,
                     binarize=config.data.binarize)
  return data, [next(it) for _ in range(n)]


@pytest.mark.parametrize("experiment", ["vae_mnist", "conv_vae_mnist",
                                        "ae_mnist"])
def test_pmap_step_equals_jit_step(experiment):
  assert jax.local_device_count() == 8
  config = load_config(experiment)
  config.data.batch_size = 32                      # 4 examples per device
  # SGD is linear in the gradient, so float round-off in the cross-device
  # mean stays round-off; Adam's g / sqrt(v) would amplify it where g ~ 0.
  config.optim.name = "sgd"
  config.optim.learning_rate = 1e-4
  data, batches = _first_batches(config, 3)
  method = registry.build(config, data.image_shape)
  state = method.init(jax.random.key(0), batches[0])

  s1, s8 = pmap_and_jit_states(method, state, batches)
  chex.assert_trees_all_close(s8.params, s1.params, rtol=1e-4, atol=1e-5)
  assert int(s8.step) == int(s1.step) == 3


def test_pmap_replicas_stay_identical():
  config = load_config("vae_mnist")
  data, batches = _first_batches(config, 2)
  method = registry.build(config, data.image_shape)
  engine = parallel.Engine(method.train_step, "pmap")
  state = engine.put_state(method.init(jax.random.key(1), batches[0]))
  for batch in batches:
    state, _ = engine.step(state, engine.put_batch(batch))
  for leaf in jax.tree.leaves(jax.device_get(state.params)):
    for replica in leaf[1:]:
      np.testing.assert_array_equal(replica, leaf[0])


def test_auto_mode_and_divisibility():
  assert parallel.choose_mode("auto") == "pmap"      # 8 devices here
  assert parallel.choose_mode("jit") == "jit"
  with pytest.raises(UserError, match="unknown parallel mode"):
    parallel.choose_mode("tpu")
  parallel.check_batch_size(64, "pmap")
  parallel.check_batch_size(12, "jit")
  with pytest.raises(UserError, match="not divisible by the device count 8"):
    parallel.check_batch_size(12, "pmap")
