"""The held-out-digit anomaly study: scores against numpy, sub-runs trained
without their digit, resumable sub-run by sub-run."""

import functools
import json
import os

import jax
import numpy as np
import pytest

from tests.helpers import build, load_config, run
from unsup_jax import errors
from unsup_jax import configs
from unsup_jax.data import loader, transforms
from unsup_jax.errors import UserError
from unsup_jax.methods.compression import anomaly
from unsup_jax.models import autoencoder as ae_models
from unsup_jax.models import vae as vae_models
from unsup_jax.models.vae import VAE

IMAGE_SHAPE = (28, 28, 1)


@pytest.fixture(scope="module")
def test_images():
  config = load_config("anomaly_mnist")
  return np.asarray(loader.load(config).view.split("test")["image"][:16])


def _model_config(name):
  return anomaly.model_config(load_config("anomaly_mnist"), name)


def _softplus(x):
  return np.logaddexp(0.0, x)


def test_ae_score_is_bce_summed_over_pixels(test_images):
  c = _model_config("autoencoder")
  model = ae_models.from_config(c.autoencoder, IMAGE_SHAPE)
  params = model.init(jax.random.key(1), test_images[:1])["params"]
  scores = anomaly.ae_scores(params, test_images, None, c=c,
                             image_shape=IMAGE_SHAPE)
  logits = np.asarray(model.apply({"params": params}, test_images),
                      np.float64).reshape(len(test_images), -1)
  x = test_images.reshape(len(test_images), -1).astype(np.float64)
  p = 1 / (1 + np.exp(-logits))
  bce = -np.sum(x * np.log(p) + (1 - x) * np.log1p(-p), axis=1)
  np.testing.assert_allclose(scores, bce, rtol=1e-4)


def _vae(test_images):
  c = _model_config("vae")
  model = vae_models.from_config(c.vae, IMAGE_SHAPE)
  params = model.init(jax.random.key(2), test_images[:1])["params"]
  return c, model, params


def _numpy_negative_elbo(model, params, images, num_samples):
  """Monte Carlo -E_q[log p(x|z)] + KL on the statically binarised images,
  with numpy draws; also returns the per-draw std of -log p(x|z)."""
  x = transforms.binarize_static(images, transforms.TEST_BINARIZATION_SEED)
  apply = lambda *a, method: model.apply({"params": params}, *a, method=method)
  mean, logvar = (np.asarray(v, np.float64)
                  for v in apply(x, method=VAE.encode))
  kl = 0.5 * np.sum(mean**2 + np.exp(logvar) - 1 - logvar, axis=1)
  eps = np.random.default_rng(0).normal(size=(num_samples,) + mean.shape)
  z = (mean + np.exp(0.5 * logvar) * eps).reshape(-1, mean.shape[1])
  logits = np.asarray(apply(z.astype(np.float32), method=VAE.decode),
                      np.float64).reshape(num_samples, len(x), -1)
  flat = x.reshape(1, len(x), -1)
  rec = -np.sum(flat * logits - _softplus(logits), axis=2)   # [S, N]
  return rec.mean(0) + kl, rec.std(0)


def test_vae_score_is_negative_elbo_in_the_deterministic_limit(test_images):
  """With posterior variances of e^-30, q(z|x) is a point mass: the score is
  exactly -log p(x | mean) + KL, KL large (~300 nats) through its -logvar."""
  c, model, params = _vae(test_images)
  head = dict(params["encoder"]["head"])
  head["kernel"] = head["kernel"].at[:, c.vae.latent_dim:].set(0.0)
  head["bias"] = head["bias"].at[c.vae.latent_dim:].set(-30.0)
  params = dict(params, encoder=dict(params["encoder"], head=head))
  scores = anomaly.vae_scores(params, test_images, jax.random.key(3), c=c,
                              image_shape=IMAGE_SHAPE, num_samples=3)
  reference, _ = _numpy_negative_elbo(model, params, test_images, 1)
  assert np.all(reference > 300)
  np.testing.assert_allclose(scores, reference, rtol=2e-5)


def test_vae_score_is_monte_carlo_negative_elbo(test_images):
  """Mean of S draws against an independent numpy estimate with its own
  draws, within 5 standard errors of their difference."""
  num_samples = 400
  c, model, params = _vae(test_images)
  score = functools.partial(anomaly.vae_scores, c=c, image_shape=IMAGE_SHAPE,
                            num_samples=num_samples)
  scores = score(params, test_images, jax.random.key(3))
  reference, spread = _numpy_negative_elbo(model, params, test_images,
                                           num_samples)
  tolerance = 5 * np.sqrt(2.0 / num_samples) * spread + 1e-3
  assert np.all(np.abs(scores - reference) < tolerance), (
      scores - reference, tolerance)
  # A fixed key gives the same scores; another key other draws.
  np.testing.assert_array_equal(
      scores, score(params, test_images, jax.random.key(3)))
  assert not np.array_equal(
      scores, score(params, test_images, jax.random.key(4)))


def test_sub_runs_train_without_the_held_out_digit_and_resume(tmp_path):
  config = load_config("anomaly_mnist")
  config.train.parallel = "jit"
  study, data = build(config)
  subs = study.runs(data)
  held_out = tuple(config.anomaly.held_out)
  assert [s.name for s in subs] == [f"{m}_d{d}" for d in held_out
                                    for m in ("ae", "vae")]
  train_labels = data.dataset.split("train")["label"]
  for sub, (d, name) in zip(subs, [(d, n) for d in held_out
                                   for n in config.anomaly.models]):
    labels = sub.data.dataset.split("train")["label"]
    assert sub.config.method == name
    assert sub.config.train.num_steps == config.anomaly.num_steps
    assert d not in labels and len(np.unique(labels)) == 9
    assert len(labels) == np.sum(train_labels != d)
    # The VAE's own binarisation is its data's: dynamic bits every step.
    assert (sub.data.transform is not None) == (name == "vae")

  workdir = str(tmp_path)
  with pytest.raises(errors.Interrupted):           # in the third sub-run
    run(config, workdir, stop_after=2 * config.anomaly.num_steps + 1)
  done = sorted(os.listdir(os.path.join(workdir, "runs")))
  assert done == ["ae_d0", "ae_d1", "vae_d0"]
  results = run(config, workdir)
  uninterrupted = run(config, str(tmp_path / "again"))
  for key, value in uninterrupted.items():
    if key.startswith("test_"):
      assert results[key] == pytest.approx(value, abs=1e-6), key

  with open(os.path.join(workdir, "results.json")) as f:
    written = json.load(f)
  keys = [f"test_auroc_{m}_{s}" for m in ("ae", "vae")
          for s in [f"d{d}" for d in held_out] + ["mean"]]
  for key in keys:
    assert 0 <= written[key] <= 1, key
  for m in ("ae", "vae"):
    np.testing.assert_allclose(
        written[f"test_auroc_{m}_mean"],
        np.mean([written[f"test_auroc_{m}_d{d}"] for d in held_out]))
  report = open(os.path.join(workdir, "report.md")).read()
  assert "| held-out digit | AUROC AE | AUROC VAE |" in report
  assert f"| 0 | {written['test_auroc_ae_d0']:.3f} |" in report


@pytest.mark.parametrize("field, value", [
    ("held_out", ()), ("held_out", (1, 1)), ("models", ("pca",)),
    ("models", ()), ("num_steps", 0), ("elbo_samples", 0),
    ("ae_config", "experiments/no_such_file.py"),
    ("ae_config", "experiments/vae_mnist.py")])
def test_bad_config_is_a_user_error(field, value):
  config = load_config("anomaly_mnist")
  config.anomaly[field] = value
  with pytest.raises(UserError):
    configs.validate(config)
    build(config)
