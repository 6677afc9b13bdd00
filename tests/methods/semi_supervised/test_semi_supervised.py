"""M1, M2, M1+M2 and the supervised baseline as methods: the class-grid
bound equals one class at a time, the two streams keep their sizes and
resume exactly, pmap = jit, which parameters each phase moves, the exports
and the labelled subset, config errors. Tiny networks on 8x8 digits."""

import os
import types

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.semi_supervised import LabelSpreading

from tests.helpers import assert_resumes_exactly, build, first_batches, \
    load_config, pmap_and_jit_states, run
from unsup_jax import configs
from unsup_jax.data import streams
from unsup_jax.errors import UserError
from unsup_jax.eval import probes
from unsup_jax.losses import semi_supervised as ssl
from unsup_jax.methods.semi_supervised import bounds
from unsup_jax.methods.semi_supervised import semi_supervised as method_lib
from unsup_jax.methods.semi_supervised import semi_supervised_eval as semi_eval
from unsup_jax.models.semi_supervised import M2
from unsup_jax.ops import distributions
from unsup_jax.training.contract import Hook, step_phases


def _tiny(model="m2"):
  config = load_config({"m2": "m2_mnist", "m1m2": "m1m2_mnist",
                        "m1": "m1_mnist", "supervised": "supervised_mnist",
                        "supervised_aug": "supervised_aug_mnist",
                        "vat": "vat_mnist",
                        "fixmatch": "fixmatch_mnist"}[model])
  config.train.parallel = "jit"
  config.data.name = "digits"
  config.data.streams.labelled.update(size=30, batch_size=8)
  config.data.streams.unlabelled.update(size=100, batch_size=24)
  return config


def _batches(config, n=3):
  got = {name: first_batches(config, n, name)
         for name in method_lib.STREAMS}
  return [{name: got[name][i] for name in got} for i in range(n)]


def _one_class_bound(model, params, x, eps, c):
  """`[B]` the bound on log p(x, y = c) with noise `eps` `[B, Dz]`, from
  the networks' parts."""
  k = model.num_classes
  apply = lambda *a, **kw: model.apply({"params": params}, *a, **kw)
  y = jax.nn.one_hot(jnp.full((x.shape[0],), c), k)
  mean, logvar = apply(x, y, method=M2.encode)
  z = mean + jnp.exp(0.5 * logvar) * eps
  log_lik = apply(x, apply(z, y, method=M2.decode), method=M2.log_likelihood)
  return ssl.labelled_bound(
      log_lik, distributions.kl_standard_normal(mean, logvar), k)


def _grid_noise(keys, model):
  """The noise `class_bounds` draws: `[B, K, Dz]`, one key an example."""
  return jax.vmap(lambda k: jax.random.normal(
      k, (model.num_classes, model.latent_dim)))(keys)


def test_the_class_grid_equals_each_class_with_the_same_noise():
  model = M2(hidden=(8, 6), latent_dim=3, num_classes=4, data_dim=5)
  x = jax.random.uniform(jax.random.key(0), (7, 5))
  params = model.init(jax.random.key(1), x)["params"]
  keys = jax.random.split(jax.random.key(2), 7)
  grid = bounds.class_bounds(model, params, x, keys)
  assert grid.shape == (7, 4)
  eps = _grid_noise(keys, model)
  for c in range(4):
    np.testing.assert_allclose(
        grid[:, c], _one_class_bound(model, params, x, eps[:, c], c),
        rtol=1e-5, atol=1e-4)


def test_the_generative_classifier_is_the_argmax_of_the_class_bounds():
  """M2's generative accuracy: the test label is the class whose bound on
  log p(x, y) is largest, each class's bound computed alone (with the
  noise the evaluation draws); and the test bound is the unlabelled one."""
  model = M2(hidden=(8,), latent_dim=3, num_classes=4, data_dim=6)
  m = bounds.Models(kind="m2", m1=None, classifier=None, m2=model,
                    image_shape=(2, 3, 1), num_classes=4)
  images = jax.random.uniform(jax.random.key(0), (9, 2, 3, 1))
  x = images.reshape(9, -1)
  params = model.init(jax.random.key(1), x)["params"]
  state = types.SimpleNamespace(params={"m2": params})
  key = jax.random.key(5)
  keys = jax.random.split(jax.random.fold_in(key, 0), 9)  # one batch
  eps = _grid_noise(keys, model)
  by_class = np.stack([_one_class_bound(model, params, x, eps[:, c], c)
                       for c in range(4)], 1)
  best = np.argmax(by_class, 1)
  assert len(set(best.tolist())) > 1     # a test the labels can fail
  for labels, want in ((best, 1.0), ((best + 1) % 4, 0.0),
                       (np.where(np.arange(9) < 4, best, (best + 2) % 4),
                        4 / 9)):
    got = semi_eval.test_bounds(m, state, images, labels, key, batch_size=16)
    assert got["generative_accuracy"] == pytest.approx(want)
  logits = model.apply({"params": params}, x, method=M2.classify)
  np.testing.assert_allclose(got["bound_unlabelled"], float(jnp.mean(
      ssl.unlabelled_bound(jnp.asarray(by_class), logits))), rtol=1e-5)


def test_the_streams_keep_their_sizes_and_rows():
  config = _tiny()
  _, data = build(config)
  lab, unl = data.streams["labelled"], data.streams["unlabelled"]
  assert len(lab.rows) == 30 and len(unl.rows) == 100
  assert not np.intersect1d(lab.rows, unl.rows).size
  labels = data.dataset.split("train")["label"]
  np.testing.assert_array_equal(np.bincount(labels[lab.rows]), [3] * 10)
  np.testing.assert_array_equal(lab.rows, streams.balanced_rows(
      labels, 30, seed=config.seed, num_classes=10))
  batch = _batches(config, 1)[0]
  assert batch["labelled"]["image"].shape[0] == 8
  assert batch["unlabelled"]["image"].shape[0] == 24
  # Another seed draws another labelled subset.
  config.seed = 1
  _, other = build(config)
  assert not np.array_equal(other.streams["labelled"].rows, lab.rows)


@pytest.mark.parametrize("model", ["m2", "m1m2", "vat", "fixmatch",
                                   "supervised_aug"])
def test_pmap_steps_equal_jit_steps(model):
  config = _tiny(model)
  # VAT's power iteration follows a gradient of size O(xi), made of the
  # difference of two nearly equal predictions: at the default xi = 1e-3
  # the rounding of per-device matmuls (not the data-parallel plumbing
  # this test is about) moves the direction past float32 tolerance.
  config.semi.vat_xi = 0.1
  method, _ = build(config)
  batches = _batches(config)
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  for phase in step_phases(method):
    a, b = pmap_and_jit_states(phase.step, state, batches, metric_atol=1e-3)
    chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("model,moved", [
    ("m1m2", {"m1": ("m1",), "train": ("m2",)}),
    ("supervised", {"train": ("classifier",)}),
])
def test_each_phase_moves_only_its_network(model, moved):
  config = _tiny(model)
  method, _ = build(config)
  batch = _batches(config, 1)[0]
  state = jax.device_get(method.init(jax.random.key(0), batch))
  for phase in step_phases(method):
    after, metrics = jax.device_get(jax.jit(phase.step)(state, batch))
    assert np.isfinite(metrics["loss"])
    for part in state.params:
      same = jax.tree.all(jax.tree.map(np.array_equal, after.params[part],
                                       state.params[part]))
      assert same == (part not in moved[phase.name]), (phase.name, part)


def test_m2_resumes_exactly_and_exports_what_it_scores(tmp_path):
  config = _tiny("m2")
  config.train.update(num_steps=6, checkpoint_every=2)
  results, whole = assert_resumes_exactly(config, tmp_path, stop_after=3)
  saved = np.load(os.path.join(whole, "predictions.npz"))
  assert np.mean(saved["predicted"] == saved["label"]) == pytest.approx(
      results["test_accuracy"])
  labelled = np.load(os.path.join(whole, "labelled.npz"))
  _, data = build(config)
  np.testing.assert_array_equal(labelled["rows"],
                                data.streams["labelled"].rows)
  report = open(os.path.join(whole, "report.md")).read()
  assert "Labelled subset" in report
  assert " ".join(map(str, labelled["rows"][:10])) in report
  assert results["test_num_labelled"] == 30
  assert results["test_num_unlabelled"] == 100


def _m1_fitted(classifier):
  config = _tiny("m1")
  config.semi.m1_classifier = classifier
  method, data = build(config)
  batch = _batches(config, 1)[0]
  state = jax.device_get(method.init(jax.random.key(0), batch))
  hook = method.phases[1]
  assert isinstance(hook, Hook) and hook.name == "classifier"
  fitted = jax.device_get(hook.fn(state, data.view, None))
  codes = bounds.m1_codes(bounds.models(config, data.spec()), fitted.params,
                          data.view.split("train")["image"], 64)
  return config, method, data, fitted, codes


def test_m1_linear_classifier_is_the_raw_probe_on_the_labelled_codes():
  config, _, data, fitted, codes = _m1_fitted("linear")
  rows = data.streams["labelled"].rows
  labels = data.view.split("train")["label"][rows]
  want = probes.fit_logistic_regression(
      codes[rows], labels, num_classes=10, l2=float(fitted.extra["probe_l2"]),
      standardise=False)
  for k in ("w", "b", "mean", "scale"):
    np.testing.assert_allclose(fitted.extra["probe"][k], want[k], atol=1e-6)
  assert np.any(np.asarray(want["w"]) != 0)
  np.testing.assert_array_equal(want["scale"], 1.0)


def test_m1_spreading_is_label_spreading_over_both_streams_codes():
  config, method, data, fitted, codes = _m1_fitted("spreading")
  lab, unl = data.streams["labelled"].rows, data.streams["unlabelled"].rows
  used = np.union1d(lab, unl)
  np.testing.assert_array_equal(np.flatnonzero(fitted.extra["used"]), used)
  np.testing.assert_allclose(fitted.extra["codes"][used], codes[used],
                             atol=1e-6)
  train = data.view.split("train")
  targets = np.full(len(codes), -1)
  targets[lab] = train["label"][lab]
  s = config.semi
  ref = LabelSpreading(kernel="knn", n_neighbors=s.neighbours,
                       alpha=s.spread_alpha, max_iter=100).fit(
                           codes[used], targets[used])
  np.testing.assert_allclose(
      fitted.extra["distributions"][used][:, ref.classes_],
      ref.label_distributions_, rtol=1e-4, atol=1e-6)
  test = data.view.split("test")
  test_codes = bounds.m1_codes(bounds.models(config, data.spec()),
                               fitted.params, test["image"], 64)
  metrics, _ = method.evaluate(fitted, data.view, jax.random.key(1),
                               full=False)
  want = np.mean(ref.predict(test_codes) == test["label"])
  assert metrics["accuracy"] == pytest.approx(want, abs=1e-9)


@pytest.mark.parametrize("change,message", [
    (lambda c: delattr(c.data.streams, "unlabelled"), "stream .unlabelled."),
    (lambda c: c.m1.update(kind="conv"), "config.m1.kind must be 'mlp'"),
    (lambda c: c.m1.update(objective="tcvae"), "config.m1.objective"),
])
def test_bad_settings_are_one_line_user_errors(change, message):
  config = _tiny("m1m2")
  change(config)
  with pytest.raises(UserError, match=message) as err:
    configs.validate(config)
  assert "\n" not in str(err.value)


def test_too_few_examples_of_a_class_is_a_user_error():
  config = _tiny("m2")
  config.data.streams.labelled.size = 2000
  with pytest.raises(UserError, match="needed for 2000 balanced labels"):
    build(config)


def test_the_tfds_path_draws_both_streams(tmp_path):
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  config = load_config("m2_mnist")
  config.train.parallel = "jit"
  config.data.name = "tfds:mnist"
  with tfds.testing.mock_data(num_examples=256):
    results = run(config, str(tmp_path))
  assert results["test_num_labelled"] == 20
  assert results["test_num_unlabelled"] == 236
  assert 0.0 <= results["test_accuracy"] <= 1.0


def test_the_unlabelled_bound_trains_the_classifier():
  """The gradient of M2's unlabelled loss reaches q(y|x)'s parameters (through
  the class weights and the entropy): non-zero, and equal to a central
  finite difference along a random direction (float64, a tiny M2)."""
  with jax.enable_x64():
    model = M2(hidden=(4,), latent_dim=2, num_classes=3, data_dim=5)
    x = jax.random.uniform(jax.random.key(0), (6, 5), jnp.float64)
    params = model.init(jax.random.key(1), x)["params"]
    params = jax.tree.map(lambda a: a.astype(jnp.float64), params)
    keys = jax.random.split(jax.random.key(2), 6)

    def loss(classifier):
      p = dict(params, classifier=classifier)
      logits = model.apply({"params": p}, x, method=M2.classify)
      return -jnp.mean(ssl.unlabelled_bound(
          bounds.class_bounds(model, p, x, keys), logits))

    grad = jax.grad(loss)(params["classifier"])
    leaves = jax.tree.leaves(grad)
    assert max(float(jnp.max(jnp.abs(g))) for g in leaves) > 1e-3
    direction = jax.tree.map(
        lambda a: jax.random.normal(jax.random.key(3), a.shape, a.dtype),
        params["classifier"])
    h = 1e-5
    shifted = lambda t: jax.tree.map(lambda a, d: a + t * d,
                                     params["classifier"], direction)
    numeric = (loss(shifted(h)) - loss(shifted(-h))) / (2 * h)
    analytic = sum(jnp.vdot(g, d) for g, d in zip(
        leaves, jax.tree.leaves(direction)))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6)
