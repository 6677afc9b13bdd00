"""A pmap step and a sharded-jit (mesh) step on 8 fake CPU devices equal the
jit step on the same batch; replicas stay identical."""

import chex
import jax
import numpy as np
import pytest

from tests.helpers import Engine, build, first_batches, load_config, \
    pmap_and_jit_states, step_of
from unsup_jax.errors import UserError
from unsup_jax.training import parallel


def _tiny(experiment):
  """A small version of an experiment, with SGD: linear in the gradient, so
  float round-off in the cross-device mean stays round-off (Adam's
  g / sqrt(v) would amplify it where g ~ 0)."""
  config = load_config(experiment)
  config.data.batch_size = 32                      # 4 examples per device
  config.optim.name = "sgd"
  config.optim.learning_rate = 1e-4
  section = config.vae if config.method == "vae" else config.autoencoder
  section.encoder_hidden = (8, 16) if section.kind == "conv" else (32,)
  section.decoder_hidden = tuple(reversed(section.encoder_hidden))
  return config


@pytest.mark.parametrize("experiment", ["vae_mnist", "conv_vae_mnist",
                                        "denoising_ae_mnist"])
def test_pmap_and_mesh_steps_equal_jit_step(experiment):
  assert jax.local_device_count() == 8
  config = _tiny(experiment)
  method, _ = build(config)
  batches = first_batches(config, 3)
  state = method.init(jax.random.key(0), batches[0])
  s1, s8, sm = pmap_and_jit_states(step_of(method), state, batches,
                                   modes=("pmap", "mesh"))
  chex.assert_trees_all_close(s8.params, s1.params, rtol=1e-4, atol=1e-5)
  chex.assert_trees_all_close(sm.params, s1.params, rtol=1e-4, atol=1e-5)
  assert int(s8.step) == int(s1.step) == int(sm.step) == 3


def test_pmap_replicas_stay_identical():
  config = _tiny("vae_mnist")
  method, _ = build(config)
  batches = first_batches(config, 2)
  engine = Engine(step_of(method), "pmap")
  state = engine.put_state(method.init(jax.random.key(1), batches[0]))
  for batch in batches:
    state, _ = engine.step(state, engine.put_batch(batch))
  for leaf in jax.tree.leaves(jax.device_get(state.params)):
    for replica in leaf[1:]:
      np.testing.assert_array_equal(replica, leaf[0])


def test_modes_and_divisibility():
  assert parallel.choose_mode("auto") == "pmap"      # 8 devices here
  assert parallel.choose_mode("jit") == "jit"
  assert parallel.choose_mode("mesh") == "mesh"
  with pytest.raises(UserError, match="unknown parallel mode"):
    parallel.choose_mode("tpu")
  parallel.check_batch_size(64, "pmap")
  parallel.check_batch_size(12, "jit")
  for mode in ("pmap", "mesh"):
    with pytest.raises(UserError, match="not divisible by the device count 8"):
      parallel.check_batch_size(12, mode)
  with pytest.raises(UserError, match="of stream 'labelled'"):
    parallel.check_batch_size(12, "mesh", "labelled")


def test_pmap_placement_traces_nothing_but_the_step():
  """States are put as pmap lays out its outputs: placing one traces no
  resharding program, the step is traced once (not again when it is fed its
  own outputs) and reading a state back from the first device traces
  nothing."""
  traces = []
  listener = lambda event, seconds, **kw: traces.append(event) if (
      event == "/jax/core/compile/jaxpr_trace_duration") else None
  placement = parallel.Placement("pmap")
  n = jax.local_device_count()
  state = {f"w{i}": np.full((i + 1, 3), float(i), np.float32)
           for i in range(6)}
  state["key"] = jax.random.key(7)

  def step(s, batch, *, axis_name):
    out = {k: v + jax.lax.pmean(batch["x"].sum(), axis_name)
           for k, v in s.items() if k != "key"}
    return dict(out, key=jax.random.split(s["key"])[0]), batch["x"].sum()

  fn = placement.compile(step)
  batch = {"x": np.ones((n * 2, 1), np.float32)}
  jax.monitoring.register_event_duration_secs_listener(listener)
  try:
    placed = placement.put_state(state)
    assert not traces
    placed, _ = fn(placed, placement.put_batch(batch))
    assert traces
    del traces[:]
    for _ in range(2):
      placed, _ = fn(placed, placement.put_batch(batch))
    host = placement.get(placed)
    assert not traces
  finally:
    jax.monitoring.unregister_event_duration_listener(listener)
  for i in range(6):
    np.testing.assert_array_equal(host[f"w{i}"], state[f"w{i}"] + 6.0)
  key = state["key"]
  for _ in range(3):
    key = jax.random.split(key)[0]
  np.testing.assert_array_equal(jax.random.key_data(host["key"]),
                                jax.random.key_data(key))
