"""The autoencoder family: tied linear = PCA, denoising targets, sparsity,
pmap = jit, evaluation and the four experiments' smoke runs."""

import json
import os
import re

import chex
import jax
import numpy as np
import pytest

from tests.conftest import load_config, pmap_and_jit_states
from unsup_jax.errors import UserError
from unsup_jax.methods import autoencoder as ae_method
from unsup_jax.methods import registry
from unsup_jax.ops import corruption, distributions
from unsup_jax.training import config as config_lib, loop

SHAPE = (8, 8, 1)
D = 64


def _config(**fields):
  """A small autoencoder config; fields "section.name" override it."""
  c = config_lib.base_config()
  c.method = "autoencoder"
  c.model.likelihood = "bce"
  c.model.encoder_hidden = (16,)
  c.model.decoder_hidden = (16,)
  c.model.latent_dim = 6
  for path, value in fields.items():
    section, name = path.split("__")
    c[section][name] = value
  return c


def _images(n, seed=0):
  rng = np.random.default_rng(seed)
  return rng.uniform(0.0, 1.0, size=(n,) + SHAPE).astype(np.float32) ** 2


def _np_bce(x, logits):
  x, logits = x.astype(np.float64), logits.astype(np.float64)
  per = np.logaddexp(0.0, logits) - x * logits
  return per.reshape(len(x), -1).sum(1)


def _train(method, data, steps, batch_size=100, seed=0):
  state = method.init(jax.random.key(seed), {"image": data[:batch_size]})
  step = jax.jit(method.train_step)
  rng = np.random.default_rng(seed)
  for _ in range(steps):
    idx = rng.choice(len(data), batch_size, replace=False)
    state, metrics = step(state, {"image": data[idx]})
  return state, jax.device_get(metrics)


def test_tied_linear_autoencoder_learns_the_pca_subspace():
  """Baldi & Hornik (1989): the squared-error optimum of the tied linear AE
  spans the top-k principal subspace."""
  k, rng = 5, np.random.default_rng(1)
  basis, _ = np.linalg.qr(rng.normal(size=(D, k)))
  scales = np.array([3.0, 2.5, 2.0, 1.5, 1.2])
  codes = rng.normal(size=(2000, k)) * scales
  data = 0.5 + codes @ basis.T + 0.01 * rng.normal(size=(2000, D))
  data = data.reshape((-1,) + SHAPE).astype(np.float32)
  method = registry.build(_config(
      model__kind="linear_tied", model__latent_dim=k, model__likelihood="mse",
      optim__learning_rate=1e-2), SHAPE)
  state, _ = _train(method, data, 400)
  flat = data.reshape(len(data), -1).astype(np.float64)
  _, s, vt = np.linalg.svd(flat - flat.mean(0), full_matrices=False)
  assert s[k - 1] > 10 * s[k]                          # a clear spectral gap
  q1, _ = np.linalg.qr(np.asarray(state.params["kernel"], np.float64))
  cosines = np.linalg.svd(q1.T @ vt[:k].T, compute_uv=False)
  assert np.all(cosines > 0.99), cosines
  # The random initial subspace was far from it: the test can fail.
  init = method.init(jax.random.key(0), {"image": data[:2]})
  q0, _ = np.linalg.qr(np.asarray(init.params["kernel"], np.float64))
  assert np.linalg.svd(q0.T @ vt[:k].T, compute_uv=False).min() < 0.9


def test_denoising_loss_scores_the_clean_image():
  c = _config(data__corruption="masking", data__corruption_level=0.5)
  method = registry.build(c, SHAPE)
  x = _images(8)
  state = method.init(jax.random.key(0), {"image": x})
  _, metrics = jax.jit(method.train_step)(state, {"image": x})
  keys = distributions.per_example_keys(
      jax.random.fold_in(state.key, state.step), len(x))
  noisy = np.asarray(corruption.corrupt_examples(keys, x, kind="masking",
                                                 level=0.5))
  model = ae_method.make_model(c.model, SHAPE)
  logits = lambda inp: np.asarray(model.apply({"params": state.params}, inp))
  expected = _np_bce(x, logits(noisy)).mean()
  np.testing.assert_allclose(metrics["loss_rec"], expected, rtol=1e-5)
  # Neither the noisy target nor the clean input gives that number.
  assert abs(_np_bce(noisy, logits(noisy)).mean() - expected) > 0.1
  assert abs(_np_bce(x, logits(x)).mean() - expected) > 1e-2


def test_sparse_metrics_and_loss_decomposition():
  c = _config(model__code_activation="sigmoid", loss__sparsity="kl",
              loss__sparsity_weight=2.0, loss__sparsity_target=0.1)
  method = registry.build(c, SHAPE)
  x = _images(10)
  state = method.init(jax.random.key(0), {"image": x})
  _, m = jax.jit(method.train_step)(state, {"image": x})
  model = ae_method.make_model(c.model, SHAPE)
  code = np.asarray(model.apply({"params": state.params}, x,
                                method=type(model).encode), np.float64)
  rho_hat = code.mean(0)
  kl = np.sum(0.1 * np.log(0.1 / rho_hat) + 0.9 * np.log(0.9 / (1 - rho_hat)))
  np.testing.assert_allclose(m["loss_sparsity"], kl, rtol=1e-4)
  np.testing.assert_allclose(m["loss"], m["loss_rec"] + 2.0 * kl, rtol=1e-5)
  np.testing.assert_allclose(m["mean_activation"], code.mean(), rtol=1e-5)
  threshold = ae_method.ACTIVE_THRESHOLDS["sigmoid"]
  np.testing.assert_allclose(m["active_fraction"],
                             np.mean(rho_hat > threshold))


def test_kl_sparsity_drives_mean_activation_to_the_target():
  c = _config(model__code_activation="sigmoid", model__latent_dim=16,
              loss__sparsity="kl", loss__sparsity_weight=5.0,
              loss__sparsity_target=0.1, optim__learning_rate=1e-2)
  state, m = _train(registry.build(c, SHAPE), _images(500), 300, 50)
  assert abs(float(m["mean_activation"]) - 0.1) < 0.03, m
  assert np.isfinite(m["loss"])


def test_sparse_denoising_pmap_step_equals_jit_step():
  assert jax.local_device_count() == 8
  c = _config(model__code_activation="sigmoid", loss__sparsity="kl",
              loss__sparsity_weight=1.0, data__corruption="salt_and_pepper",
              data__corruption_level=0.3, optim__name="sgd",
              optim__learning_rate=1e-3)
  method = registry.build(c, SHAPE)
  batches = [{"image": _images(32, seed)} for seed in range(2)]
  state = method.init(jax.random.key(0), batches[0])
  s1, s8 = pmap_and_jit_states(method, state, batches)
  chex.assert_trees_all_close(s8.params, s1.params, rtol=1e-4, atol=1e-5)


def test_denoising_evaluation_is_fixed_and_against_clean_targets():
  c = _config(data__corruption="gaussian", data__corruption_level=0.3)
  c.eval.batch_size = 16
  method = registry.build(c, SHAPE)
  x = _images(40)
  state = method.init(jax.random.key(0), {"image": x})
  res = method.evaluate(state, x, None, jax.random.key(1))
  c.eval.batch_size = 7                          # other batches, other key
  res2 = registry.build(c, SHAPE).evaluate(state, x, None, jax.random.key(2))
  for k in res:
    np.testing.assert_allclose(res2[k], res[k], rtol=1e-5)
  key = jax.random.key(ae_method.EVAL_CORRUPTION_SEED)
  keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(np.arange(len(x)))
  noisy = corruption.corrupt_examples(keys, x, kind="gaussian", level=0.3)
  model = ae_method.make_model(c.model, SHAPE)
  recon = lambda inp: jax.nn.sigmoid(np.asarray(
      model.apply({"params": state.params}, inp), np.float64))
  np.testing.assert_allclose(res["mse"], np.mean((recon(noisy) - x) ** 2),
                             rtol=1e-4)
  np.testing.assert_allclose(res["mse_clean_input"],
                             np.mean((recon(x) - x) ** 2), rtol=1e-4)
  np.testing.assert_allclose(res["loss_rec"], _np_bce(
      x, np.asarray(model.apply({"params": state.params}, noisy))).mean(),
                             rtol=1e-5)


@pytest.mark.parametrize("fields,match", [
    ({"model__kind": "rnn"}, "model.kind"),
    ({"model__code_activation": "tanh"}, "code_activation"),
    ({"loss__sparsity": "l0"}, "loss.sparsity"),
    ({"loss__sparsity": "kl"}, "sigmoid"),
    ({"loss__sparsity": "l1", "loss__sparsity_weight": -1.0}, "weight"),
    ({"data__corruption": "blur"}, "data.corruption"),
    ({"data__corruption": "masking", "data__corruption_level": 1.5}, "level"),
    ({"model__likelihood": "gaussian"}, "likelihood"),
])
def test_bad_configs_raise_user_errors(fields, match):
  with pytest.raises(UserError, match=match):
    registry.build(_config(**fields), SHAPE)


@pytest.mark.parametrize("name,extra_figures,extra_results", [
    ("sparse_ae_mnist", {"weights"},
     {"loss_sparsity", "mean_activation", "active_fraction"}),
    ("denoising_ae_mnist", {"denoising"}, {"mse_clean_input"}),
    ("linear_ae_mnist", {"weights"}, set()),
    ("conv_ae_mnist", set(), set()),
])
def test_experiment_smoke_run_writes_report(name, extra_figures, extra_results,
                                            tmp_path):
  config = load_config(name)
  config_lib.validate(config)
  assert load_config(name, None).train.num_steps > config.train.num_steps
  config.train.parallel = "jit"
  results = loop.run(config, str(tmp_path), progress=False)
  with open(tmp_path / "results.json") as f:
    written = json.load(f)
  assert written["steps"] == config.train.num_steps
  expected = {"loss_rec", "mse"} | extra_results
  reported = {k[5:] for k in written if k.startswith("test_")}
  assert expected <= reported
  assert all(k.startswith("probe_") for k in reported - expected)
  assert 0 < written["test_mse"] < 1
  assert results["test_mse"] == pytest.approx(written["test_mse"])
  report = open(tmp_path / "report.md").read()
  links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
  names = {os.path.splitext(os.path.basename(l))[0] for l in links}
  assert names == {"reconstructions", "interpolations", "latent_space",
                   "training_curves"} | extra_figures
  for link in links:
    assert os.path.getsize(tmp_path / link) > 1000
