"""The autoencoder family: tied linear = PCA, denoising targets, sparsity,
pmap = jit, evaluation and the four experiments' smoke runs."""


import chex
import jax
import numpy as np
import pytest

from tests.helpers import pmap_and_jit_states, step_of
from unsup_jax import configs
from unsup_jax.configs import autoencoder as ae_config
from unsup_jax.data import streams, transforms
from unsup_jax.data.dataset import Dataset
from unsup_jax.errors import UserError
from unsup_jax.methods.compression import autoencoder as ae_method
from unsup_jax.methods import registry
from unsup_jax.models import autoencoder as ae_models
from unsup_jax.ops import corruption, distributions

SHAPE = (8, 8, 1)
D = 64


def _config(**fields):
  """A small autoencoder config; fields "section__name" override it."""
  c = ae_config.config()
  c.autoencoder.likelihood = "bce"
  c.autoencoder.encoder_hidden = (16,)
  c.autoencoder.decoder_hidden = (16,)
  c.autoencoder.latent_dim = 6
  for path, value in fields.items():
    section, name = path.split("__")
    c[section][name] = value
  return c


def _data(config, train, test=None):
  """The run's Data for images in memory (labels all 0)."""
  test = train if test is None else test
  split = lambda x: {"image": x, "label": np.zeros(len(x), np.int32)}
  return streams.prepare(Dataset.create("toy", {"train": split(train),
                                                "test": split(test)},
                                        num_classes=1), config)


def _build(config, images):
  config.data.batch_size = min(config.data.batch_size, len(images))
  configs.validate(config)
  data = _data(config, images)
  return registry.build(config, data.spec()), data


def _images(n, seed=0):
  rng = np.random.default_rng(seed)
  return rng.uniform(0.0, 1.0, size=(n,) + SHAPE).astype(np.float32) ** 2


def _np_bce(x, logits):
  x, logits = x.astype(np.float64), logits.astype(np.float64)
  per = np.logaddexp(0.0, logits) - x * logits
  return per.reshape(len(x), -1).sum(1)


def _train(method, data, steps, batch_size=100, seed=0):
  state = method.init(jax.random.key(seed), {"image": data[:batch_size]})
  step = jax.jit(step_of(method))
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
  method, _ = _build(_config(
      autoencoder__kind="linear_tied", autoencoder__latent_dim=k,
      autoencoder__likelihood="mse", optim__learning_rate=1e-2), data)
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
  x = _images(8)
  method, data = _build(c, x)
  state = method.init(jax.random.key(0), {"image": x})
  keys = distributions.per_example_keys(jax.random.key(5), len(x))
  noisy = np.asarray(corruption.corrupt_examples(keys, x, kind="masking",
                                                 level=0.5))
  _, metrics = jax.jit(step_of(method))(state, {"image": x,
                                                "corrupted": noisy})
  model = ae_models.from_config(c.autoencoder, SHAPE)
  logits = lambda inp: np.asarray(model.apply({"params": state.params}, inp))
  expected = _np_bce(x, logits(noisy)).mean()
  np.testing.assert_allclose(metrics["loss_rec"], expected, rtol=1e-5)
  # Neither the noisy target nor the clean input gives that number.
  assert abs(_np_bce(noisy, logits(noisy)).mean() - expected) > 0.1
  assert abs(_np_bce(x, logits(x)).mean() - expected) > 1e-2


def test_sparse_metrics_and_loss_decomposition():
  c = _config(autoencoder__code_activation="sigmoid",
              autoencoder__sparsity="kl", autoencoder__sparsity_weight=2.0,
              autoencoder__sparsity_target=0.1)
  x = _images(10)
  method, _ = _build(c, x)
  state = method.init(jax.random.key(0), {"image": x})
  _, m = jax.jit(step_of(method))(state, {"image": x})
  model = ae_models.from_config(c.autoencoder, SHAPE)
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
  c = _config(autoencoder__code_activation="sigmoid",
              autoencoder__latent_dim=16, autoencoder__sparsity="kl",
              autoencoder__sparsity_weight=5.0,
              autoencoder__sparsity_target=0.1, optim__learning_rate=1e-2)
  state, m = _train(_build(c, _images(500))[0], _images(500), 300, 50)
  assert abs(float(m["mean_activation"]) - 0.1) < 0.03, m
  assert np.isfinite(m["loss"])


def test_sparse_pmap_step_equals_jit_step():
  """The sparsity penalty's mean activation is global under pmap."""
  assert jax.local_device_count() == 8
  c = _config(autoencoder__code_activation="sigmoid",
              autoencoder__sparsity="kl", autoencoder__sparsity_weight=1.0,
              optim__name="sgd", optim__learning_rate=1e-3)
  batches = [{"image": _images(32, seed)} for seed in range(2)]
  method, _ = _build(c, batches[0]["image"])
  state = method.init(jax.random.key(0), batches[0])
  s1, s8, sm = pmap_and_jit_states(step_of(method), state, batches,
                                   modes=("pmap", "mesh"))
  chex.assert_trees_all_close(s8.params, s1.params, rtol=1e-4, atol=1e-5)
  chex.assert_trees_all_close(sm.params, s1.params, rtol=1e-4, atol=1e-5)


def test_denoising_evaluation_is_fixed_and_against_clean_targets():
  c = _config(data__corruption="gaussian", data__corruption_level=0.3)
  c.eval.batch_size = 16
  x = _images(40)
  method, data = _build(c, x)
  state = method.init(jax.random.key(0), {"image": x})
  res, _ = method.evaluate(state, data.view, jax.random.key(1), full=False)
  c.eval.batch_size = 7                          # other batches, other key
  method2, data2 = _build(c, x)
  res2, _ = method2.evaluate(state, data2.view, jax.random.key(2),
                             full=False)
  for k in res:
    np.testing.assert_allclose(res2[k], res[k], rtol=1e-5)
  key = jax.random.key(transforms.EVAL_CORRUPTION_SEED)
  keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(np.arange(len(x)))
  noisy = corruption.corrupt_examples(keys, x, kind="gaussian", level=0.3)
  model = ae_models.from_config(c.autoencoder, SHAPE)
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
    ({"autoencoder__kind": "rnn"}, "autoencoder.kind"),
    ({"autoencoder__code_activation": "tanh"}, "code_activation"),
    ({"autoencoder__sparsity": "l0"}, "autoencoder.sparsity"),
    ({"autoencoder__sparsity": "kl"}, "sigmoid"),
    ({"autoencoder__sparsity": "l1", "autoencoder__sparsity_weight": -1.0},
     "weight"),
    ({"data__corruption": "blur"}, "data.corruption"),
    ({"data__corruption": "masking", "data__corruption_level": 1.5}, "level"),
    ({"autoencoder__likelihood": "gaussian"}, "likelihood"),
])
def test_bad_configs_raise_user_errors(fields, match):
  with pytest.raises(UserError, match=match):
    configs.validate(_config(**fields))
