"""DEC, IDEC and VaDE as methods: the start hook runs once (also across a
resume, which is exact), the refresh hook's targets and stop rule, which
parameters each phase moves, pmap = jit, the exported assignments, config
errors. Tiny networks on 8x8 digits."""

import os

import chex
import jax
import numpy as np
import pytest

from tests.helpers import build, load_config, load_state, \
    pmap_and_jit_states, run
from unsup_jax import errors
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.eval import clustering as cluster_eval
from unsup_jax.losses import clustering as dec_losses
from unsup_jax.methods.clustering import dec
from unsup_jax.models import autoencoder as ae_models
from unsup_jax.training.contract import Hook, step_phases


def _tiny(name="dec_mnist"):
  config = load_config(name)
  config.train.parallel = "jit"
  config.data.name = "digits"
  config.data.batch_size = 32
  config.autoencoder.update(encoder_hidden=(16,), decoder_hidden=(16,),
                            latent_dim=4)
  config.cluster.num_clusters = 5
  return config


def _started(config, n_batches=3):
  """(method, data, batches, state after the start hook and first
  refresh)."""
  method, data = build(config)
  it = data.iterator("train")
  batches = [it.batch_at(i) for i in range(n_batches)]
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  # Where the hooks stand: after pre-training.
  state = state.replace(step=np.asarray(config.train.num_steps, np.int32))
  hook = method.phases[1]
  assert isinstance(hook, Hook)
  state = jax.device_get(hook.fn(state, data.view, jax.random.key(1)))
  phase = step_phases(method)[1]
  state = jax.device_get(phase.hook(state, data.view, jax.random.key(2)))
  return method, data, batches, state


def test_kmeans_start_and_refresh_give_centres_targets_and_a_curve():
  method, data, _, state = _started(_tiny())
  train = data.view.split("train")
  model = ae_models.from_config(_tiny().autoencoder, data.spec().image_shape)
  codes = np.asarray(jax.jit(lambda x: dec.encode(state.params, x,
                                                  model=model))(
                                                      train["image"]))
  centres = np.asarray(state.params["centres"])
  # The centres are k-means centres: each the mean of its points.
  near = np.argmin(((codes[:, None] - centres[None]) ** 2).sum(-1), axis=1)
  np.testing.assert_array_equal(near, state.extra["start_assignments"])
  for k in np.unique(near):
    np.testing.assert_allclose(centres[k], codes[near == k].mean(0),
                               rtol=1e-3, atol=1e-3)
  # Targets: DEC's p of the whole set's q, rows summing to 1.
  q = dec_losses.student_t_assignments(codes, centres)
  np.testing.assert_allclose(state.extra["targets"],
                             dec_losses.target_distribution(q), rtol=1e-4,
                             atol=1e-6)
  np.testing.assert_array_equal(state.extra["assignments"],
                                np.argmax(q, axis=1))
  row = np.asarray(state.extra["curve"])[0]
  assert row[0] == method.phases[0].num_steps
  assert row[1] == pytest.approx(cluster_eval.accuracy(
      np.argmax(q, axis=1), train["label"]))
  assert row[4] == 0.0   # the nearest centre is the most probable cluster
  assert np.isnan(np.asarray(state.extra["curve"])[1:]).all()


@pytest.mark.parametrize("kind", ["dec", "idec"])
def test_the_cluster_step_moves_what_its_loss_reaches(kind):
  config = _tiny()
  config.cluster.kind = kind
  method, _, batches, state = _started(config)
  step = jax.jit(step_phases(method)[1].step)
  after, metrics = jax.device_get(step(state, batches[0]))
  assert np.isfinite(metrics["loss_cluster"])
  moved = lambda a, b: not jax.tree.all(jax.tree.map(np.array_equal, a, b))
  assert moved(after.params["centres"], state.params["centres"])
  assert moved(after.params["autoencoder"]["encoder"],
               state.params["autoencoder"]["encoder"])
  assert moved(after.params["autoencoder"]["decoder"],
               state.params["autoencoder"]["decoder"]) == (kind == "idec")
  chex.assert_trees_all_equal(after.opt_state["autoencoder"],
                              state.opt_state["autoencoder"])
  # Once the stop rule has fired nothing moves but the step counter.
  stopped = state.replace(extra=dict(state.extra, stopped=np.asarray(True)))
  frozen, metrics = jax.device_get(step(stopped, batches[0]))
  assert int(frozen.step) == int(state.step) + 1
  assert float(metrics["stopped"]) == 1.0
  chex.assert_trees_all_equal(frozen.params, state.params)
  chex.assert_trees_all_equal(frozen.opt_state, state.opt_state)


def test_the_stop_rule_fires_when_few_assignments_change():
  config = _tiny()
  config.cluster.tol = 1.01     # every change is "few": stops at row 1
  method, data, _, state = _started(config)
  refresh = step_phases(method)[1].hook
  assert not bool(state.extra["stopped"])     # never at the first refresh
  later = state.replace(step=state.step + config.cluster.update_interval)
  assert bool(refresh(later, data.view, None).extra["stopped"])
  config.cluster.tol = 0.0
  method, data, _, state = _started(config)
  later = state.replace(step=state.step + config.cluster.update_interval)
  assert not bool(step_phases(method)[1].hook(later, data.view,
                                               None).extra["stopped"])


@pytest.mark.parametrize("name,policy", [("dec_mnist", "translation"),
                                         ("vade_mnist", "")])
def test_pmap_cluster_steps_equal_jit_steps(name, policy):
  config = _tiny(name)
  config.cluster.augment = policy
  method, _, batches, state = _started(config)
  a, b = pmap_and_jit_states(step_phases(method)[1].step, state, batches,
                             metric_atol=1e-4)
  chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["dec_mnist", "vade_mnist"])
def test_pmap_pretrain_steps_on_augmented_images_equal_jit_steps(name):
  config = _tiny(name)
  config.cluster.augment = "translation,affine"
  method, data = build(config)
  it = data.iterator("train")
  batches = [it.batch_at(i) for i in range(2)]
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  a, b = pmap_and_jit_states(step_phases(method)[0].step, state, batches,
                             metric_atol=1e-4)
  chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)


def test_vade_starts_its_prior_from_a_gmm_of_the_codes():
  method, data, batches, state = _started(_tiny("vade_mnist"))
  assert method.phases[1].name == "gmm"
  prior = state.params["prior"]
  np.testing.assert_allclose(np.exp(prior["logits"]).sum(), 1.0, rtol=1e-5)
  assert np.all(np.isfinite(prior["log_vars"]))
  # The first refresh scores the GMM's own assignments.
  np.testing.assert_array_equal(state.extra["assignments"],
                                state.extra["start_assignments"])
  after, metrics = jax.device_get(jax.jit(step_phases(method)[1].step)(
      state, batches[0]))
  assert np.isfinite(metrics["loss"]) and float(metrics["kl"]) > 0
  assert not np.array_equal(after.params["prior"]["means"], prior["means"])


def test_the_start_hook_runs_once_and_resume_is_exact(tmp_path, monkeypatch):
  calls = []
  original = dec.kmeans_hook

  def counted(state, data, key, **kwargs):
    calls.append(int(state.step))
    return original(state, data, key, **kwargs)
  monkeypatch.setattr(dec, "kmeans_hook", counted)
  config = _tiny()
  config.train.num_steps, config.cluster.num_steps = 4, 5
  config.train.checkpoint_every = 2
  whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
  results = run(config, whole)
  assert calls == [4]
  calls.clear()
  for stop in (4, 2):            # 0 -> 4 (to the hook), 4 -> 6 (cluster)
    with pytest.raises(errors.Interrupted):
      run(config, parts, stop_after=stop)
  resumed = run(config, parts)
  assert calls == [4]
  a, b = load_state(config, whole), load_state(config, parts)
  chex.assert_trees_all_equal(a.params, b.params)
  chex.assert_trees_all_equal(a.extra, b.extra)
  timing = lambda r: {k: v for k, v in r.items() if "seconds" not in k}
  assert timing(resumed) == timing(results)
  # The exported assignments recompute the reported scores.
  saved = np.load(os.path.join(whole, "assignments.npz"))
  assert set(saved.files) == {"split", "index", "cluster", "label"}
  train = saved["split"] == "train"
  assert cluster_eval.accuracy(saved["cluster"][train], saved["label"][
      train]) == pytest.approx(results["test_train_acc"])
  assert cluster_eval.nmi(saved["cluster"][~train], saved["label"][
      ~train]) == pytest.approx(results["test_nmi"])


@pytest.mark.parametrize("name,field,value,message", [
    ("dec_mnist", "data.index", False, "config.data.index must be True"),
    ("dec_mnist", "cluster.kind", "vade", "does not go with method 'dec'"),
    ("vade_mnist", "cluster.kind", "dec", "does not go with method 'vade'"),
    ("vade_mnist", "autoencoder.kind", "linear_tied", "variance head"),
])
def test_bad_settings_are_one_line_user_errors(name, field, value, message):
  config = _tiny(name)
  section, key = field.split(".")
  config[section][key] = value
  with pytest.raises(UserError, match=message) as err:
    configs.validate(config)
  assert "\n" not in str(err.value)


@pytest.mark.parametrize("decay,steps", [(1.0, 0), (0.5, 3)])
def test_the_cluster_learning_rate_decays_in_stairs(decay, steps):
  import ml_collections  # pylint: disable=g-import-not-at-top
  from unsup_jax.methods.clustering import deep_clustering as deep  # pylint: disable=g-import-not-at-top
  c = ml_collections.ConfigDict(dict(optimizer="sgd", learning_rate=0.1,
                                     momentum=0.0, lr_decay=decay,
                                     lr_decay_steps=steps))
  tx = deep.cluster_optimizer(c)
  params = np.zeros(2, np.float32)
  opt_state, grad = tx.init(params), np.ones(2, np.float32)
  for n in range(8):
    update, opt_state = tx.update(grad, opt_state, params)
    expected = 0.1 * (decay ** (n // steps) if steps else 1.0)
    np.testing.assert_allclose(update, -expected * grad, rtol=1e-6)
