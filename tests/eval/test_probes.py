"""Property tests for unsup_jax.eval.probes (linear probes).

The fitted probe is checked against the first-order optimality condition of
its objective written out in numpy, and against scikit-learn's multinomial
logistic regression, which minimises the same strictly convex objective.
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from unsup_jax.data import sources
from unsup_jax.eval import probes

_N, _D, _C = 300, 6, 3


def _separable(seed, n=_N):
  """Gaussian points labelled by argmax(x W), with a margin of 0.5."""
  rng = np.random.default_rng(seed)
  w = np.random.default_rng(99).normal(size=(_D, _C))
  x = rng.normal(size=(4 * n, _D))
  scores = np.sort(x @ w, axis=1)
  keep = np.flatnonzero(scores[:, -1] - scores[:, -2] > 0.5)[:n]
  return x[keep].astype(np.float32), np.argmax(x[keep] @ w, 1).astype(np.int32)


def _accuracy(params, x, y):
  return float(np.mean(np.asarray(probes.predict(params, x)) == y))


def _numpy_gradient(params, x, y, l2, num_classes):
  """dJ/dW, dJ/db in float64: standardise, softmax, residuals."""
  x = np.asarray(x, np.float64)
  std = x.std(0)
  s = np.where(std > 0, (x - x.mean(0)) / np.where(std > 0, std, 1), 0.0)
  w, b = np.asarray(params["w"], np.float64), np.asarray(params["b"],
                                                         np.float64)
  logits = s @ w + b
  p = np.exp(logits - logits.max(1, keepdims=True))
  p /= p.sum(1, keepdims=True)
  resid = (p - np.eye(num_classes)[y]) / x.shape[0]
  return s.T @ resid + l2 * w, resid.sum(0), s


def test_separable_data_is_classified_perfectly():
  x, y = _separable(0)
  x_test, y_test = _separable(1)
  params = probes.fit_logistic_regression(x, y, num_classes=_C, l2=1e-3)
  assert _accuracy(params, x, y) == 1.0
  assert _accuracy(params, x_test, y_test) >= 0.98


def test_random_labels_are_at_chance_on_test_data():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(2 * _N, _D)).astype(np.float32)
  y = rng.integers(0, _C, 2 * _N).astype(np.int32)
  params = probes.fit_logistic_regression(x[:_N], y[:_N], num_classes=_C,
                                          l2=1e-3)
  # It does fit the noise it was trained on ...
  assert _accuracy(params, x[:_N], y[:_N]) > 1 / _C + 0.05
  # ... and that is worthless on fresh data (chance +- 4 standard errors).
  se = np.sqrt((1 / _C) * (1 - 1 / _C) / _N)
  assert abs(_accuracy(params, x[_N:], y[_N:]) - 1 / _C) < 4 * se


def test_gradient_vanishes_at_the_fit_and_matches_sklearn():
  x, y = _separable(2)
  x[:, 0] = 3.0  # a constant feature is dropped
  l2 = 0.05
  params = probes.fit_logistic_regression(x, y, num_classes=_C, l2=l2)
  grad_w, grad_b, s = _numpy_gradient(params, x, y, l2, _C)
  zero = {"w": np.zeros_like(params["w"]), "b": np.zeros_like(params["b"])}
  grad_w0, _, _ = _numpy_gradient(zero, x, y, l2, _C)
  assert np.abs(grad_w0).max() > 0.1
  np.testing.assert_allclose(grad_w, 0.0, atol=1e-5)
  np.testing.assert_allclose(grad_b, 0.0, atol=1e-5)
  np.testing.assert_array_equal(np.asarray(params["w"])[0], 0.0)
  # scikit-learn: C sum CE + ||W||^2 / 2, i.e. l2 = 1 / (C N).
  ref = LogisticRegression(C=1.0 / (l2 * _N), tol=1e-10, max_iter=10_000)
  ref.fit(s, y)
  np.testing.assert_allclose(np.asarray(params["w"]), ref.coef_.T, atol=2e-3)


def test_unstandardised_fit_is_sklearns_on_the_raw_features():
  x, y = _separable(5)
  x = x * np.linspace(0.1, 3.0, _D, dtype=np.float32) + 1.0
  l2 = 0.05
  params = probes.fit_logistic_regression(x, y, num_classes=_C, l2=l2,
                                          standardise=False)
  np.testing.assert_array_equal(params["mean"], 0.0)
  np.testing.assert_array_equal(params["scale"], 1.0)
  ref = LogisticRegression(C=1.0 / (l2 * _N), tol=1e-10, max_iter=10_000)
  ref.fit(x, y)
  np.testing.assert_allclose(np.asarray(params["w"]), ref.coef_.T, atol=2e-3)
  # Standardising changes the penalty's geometry, hence the fit.
  other = probes.fit_logistic_regression(x, y, num_classes=_C, l2=l2)
  assert np.abs(np.asarray(other["w"]) - ref.coef_.T).max() > 0.05


def test_weights_leave_examples_out():
  x, y = _separable(3)
  weights = np.zeros(_N, np.float32)
  weights[: _N // 2] = 1.0
  x_noisy = x.copy()
  x_noisy[_N // 2:] = np.random.default_rng(0).normal(
      scale=100.0, size=x[_N // 2:].shape)
  a = probes.fit_logistic_regression(x_noisy, y, num_classes=_C, l2=1e-2,
                                     weights=weights)
  b = probes.fit_logistic_regression(x[: _N // 2], y[: _N // 2],
                                     num_classes=_C, l2=1e-2)
  for k in ("w", "b", "mean", "scale"):
    np.testing.assert_allclose(a[k], b[k], rtol=1e-3, atol=1e-4)


def test_predictions_invariant_to_feature_scaling():
  rng = np.random.default_rng(4)
  x = rng.normal(size=(_N, _D)).astype(np.float32)
  y = (x @ rng.normal(size=(_D, _C)) + rng.normal(size=(_N, _C))).argmax(1)
  x[:, 1] = 0.0  # constant on the training set, not on the test set
  x_test = rng.normal(size=(_N, _D)).astype(np.float32)
  scale = np.float32(10.0) ** rng.uniform(-3, 3, _D).astype(np.float32)
  shift = rng.normal(size=_D).astype(np.float32) * scale
  fit = lambda xx: probes.fit_logistic_regression(xx, y, num_classes=_C,
                                                  l2=1e-2)
  base = np.asarray(probes.predict(fit(x), x_test))
  moved = np.asarray(probes.predict(fit(x * scale + shift),
                                    x_test * scale + shift))
  assert np.mean(base == moved) >= 0.99


def test_probe_table():
  table = probes.probe_table({"test_probe_acc_1000": 0.9, "test_elbo": -1.0,
                              "test_probe_acc_pixels_1000": 0.85,
                              "test_probe_l2_1000": 0.1,
                              "test_probe_acc_100": 0.7})
  assert table.splitlines() == ["| labels | codes | pixels |",
                                "| ---: | ---: | ---: |",
                                "| 100 | 0.700 | - |",
                                "| 1000 | 0.900 | 0.850 |"]
  assert probes.probe_table({"test_elbo": 1.0}) == ""


@pytest.mark.optimized
def test_mnist5k_pixels_and_test_set_never_chooses():
  data = sources.load("mnist5k")
  metrics = probes.probe_metrics(
      data.split("train")["image"], data.split("train")["label"], data.split("test")["image"],
      data.split("test")["label"], label_counts=(100, 1000, 10_000))
  assert set(metrics) == {"probe_acc_100", "probe_l2_100", "probe_acc_1000",
                          "probe_l2_1000"}  # 10,000 > 4,000 is skipped
  assert metrics["probe_acc_1000"] > 0.8
  assert 0.5 < metrics["probe_acc_100"] < metrics["probe_acc_1000"]
  assert {metrics["probe_l2_100"], metrics["probe_l2_1000"]} <= set(
      probes.L2_GRID)
  # Test labels only score: shuffling them changes accuracy, not choices.
  rng = np.random.default_rng(0)
  shuffled = probes.probe_metrics(
      data.split("train")["image"], data.split("train")["label"], data.split("test")["image"],
      rng.permutation(data.split("test")["label"]), label_counts=(100,))
  assert shuffled["probe_l2_100"] == metrics["probe_l2_100"]
  assert shuffled["probe_acc_100"] < 0.2
  unlabelled = np.full_like(data.split("train")["label"], -1)
  assert probes.probe_metrics(data.split("train")["image"], unlabelled,
                              data.split("test")["image"], data.split("test")["label"]) == {}
