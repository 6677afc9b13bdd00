"""Properties of unsup_jax.losses.tdvae: the TD-VAE bound (Gregor et al.
2019, Eq. 8).

Every distribution here is a single 1-D Gaussian layer whose parameters are
linear in what it is conditioned on, so that the expectation of each term
has a closed form; and with the exact filtering and smoothing posteriors of
a linear-Gaussian state space model the bound is tight, its expectation the
Kalman filter's predictive log-density. Monte Carlo means are compared
within `_NUM_SE` standard errors estimated from the same samples.
"""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.losses import tdvae
from unsup_jax.ops import distributions
from unsup_jax.ops import kalman

_NUM_SE = 4.0
_MC = 100_000
_TERMS = ("loss", "log_likelihood", "log_transition", "log_belief_t2", "kl_t1")
_LOG_2PI = math.log(2 * math.pi)


def _constant(batch, mean, var):
  """The layers of N(mean, var) for every example: `[B, 1]` each."""
  def layer_fn(layer, upper):
    assert layer == 0 and upper is None
    return (jnp.full((batch, 1), mean, jnp.float32),
            jnp.full((batch, 1), math.log(var), jnp.float32))
  return layer_fn


def _linear(slope, offset, var):
  """`z -> ` the layers of N(slope z + offset, var), z `[B, 1]`."""
  def conditional(z):
    chex.assert_shape(z, (None, 1))
    def layer_fn(layer, upper):
      assert layer == 0 and upper is None
      return slope * z + offset, jnp.full_like(z, math.log(var))
    return layer_fn
  return conditional


def _linear_model(p, batch, log_likelihood=None):
  """tdvae_terms' callables for the 1-D linear case with parameters `p`:
  belief_t2 N(m2, v2), belief_t1 N(m1, v1), smoothing N(alpha z2 + c, s2),
  transition N(a z1, tau2), decoder N(x; g z2, r2)."""
  if log_likelihood is None:
    log_likelihood = lambda z2: distributions.gaussian_log_prob(
        jnp.full_like(z2, p["x"]), p["g"] * z2, math.log(p["r2"]))
  return dict(belief_t1=_constant(batch, p["m1"], p["v1"]),
              belief_t2=_constant(batch, p["m2"], p["v2"]),
              smoothing=_linear(p["alpha"], p["c"], p["s2"]),
              transition=_linear(p["a"], 0.0, p["tau2"]),
              log_likelihood=log_likelihood, num_layers=1)


def _mc_terms(p, seed, log_likelihood=None):
  """tdvae_terms on `_MC` per-example keys, as float64 numpy arrays."""
  keys = distributions.per_example_keys(jax.random.key(seed), _MC)
  terms = jax.jit(lambda k: tdvae.tdvae_terms(
      k, **_linear_model(p, _MC, log_likelihood)))(keys)
  chex.assert_shape(list(terms.values()), (_MC,))
  assert set(terms) == set(_TERMS)
  return {k: np.asarray(v, np.float64) for k, v in terms.items()}


def _assert_mc_mean(samples, expected, name):
  mean = samples.mean()
  std_err = samples.std(ddof=1) / math.sqrt(samples.size)
  assert abs(mean - expected) <= _NUM_SE * std_err, (
      f"{name}: Monte Carlo {mean:.5f} +- {std_err:.5f}, expected "
      f"{expected:.5f}")


_P = dict(m2=0.7, v2=0.5, m1=-0.3, v1=1.5, alpha=0.8, c=0.2, s2=0.3,
          a=0.9, tau2=0.4, g=1.3, r2=0.25, x=0.9)


def _expected_terms(p):
  """E of each term of the bound under z2 ~ N(m2, v2), z1 | z2 ~ N(alpha
  z2 + c, s2), in closed form."""
  # E (x - g z2)^2 = (x - g m2)^2 + g^2 v2.
  log_lik = -0.5 * (_LOG_2PI + math.log(p["r2"])) - (
      (p["x"] - p["g"] * p["m2"]) ** 2 + p["g"] ** 2 * p["v2"]) / (2 * p["r2"])
  # z2 - a z1 = (1 - a alpha) z2 - a c - a sqrt(s2) eps.
  resid_mean = (1 - p["a"] * p["alpha"]) * p["m2"] - p["a"] * p["c"]
  resid_var = ((1 - p["a"] * p["alpha"]) ** 2 * p["v2"]
               + p["a"] ** 2 * p["s2"])
  log_trans = -0.5 * (_LOG_2PI + math.log(p["tau2"])) - (
      resid_mean ** 2 + resid_var) / (2 * p["tau2"])
  # Minus the entropy of N(m2, v2).
  log_belief = -0.5 * (_LOG_2PI + 1 + math.log(p["v2"]))
  # KL(N(alpha z2 + c, s2) || N(m1, v1)), averaged over z2.
  sq = (p["alpha"] * p["m2"] + p["c"] - p["m1"]) ** 2 + (
      p["alpha"] ** 2 * p["v2"])
  kl = 0.5 * (math.log(p["v1"] / p["s2"]) + (p["s2"] + sq) / p["v1"] - 1)
  return dict(log_likelihood=log_lik, log_transition=log_trans,
              log_belief_t2=log_belief, kl_t1=kl,
              loss=-(log_lik + log_trans - log_belief - kl))


def test_terms_match_their_closed_form_expectations():
  terms = _mc_terms(_P, 0)
  for name, expected in _expected_terms(_P).items():
    _assert_mc_mean(terms[name], expected, name)
  np.testing.assert_allclose(
      terms["loss"], -(terms["log_likelihood"] + terms["log_transition"]
                       - terms["log_belief_t2"] - terms["kl_t1"]),
      rtol=1e-5, atol=1e-4)


def test_per_sample_terms_given_z2():
  """kl_t1, log_belief_t2 and log_likelihood are closed forms given the
  sampled z2 (read back through a decoder that returns z2)."""
  p = _P
  terms = _mc_terms(p, 0)
  probe = _mc_terms(p, 0, log_likelihood=lambda z: z[:, 0])
  z2 = probe["log_likelihood"]
  # z2 does not depend on the decoder: the same draw, the same KL.
  np.testing.assert_array_equal(probe["kl_t1"], terms["kl_t1"])
  q_mean = p["alpha"] * z2 + p["c"]
  kl = 0.5 * (math.log(p["v1"] / p["s2"])
              + (p["s2"] + (q_mean - p["m1"]) ** 2) / p["v1"] - 1)
  np.testing.assert_allclose(terms["kl_t1"], kl, rtol=1e-5, atol=1e-5)
  log_belief = -0.5 * (_LOG_2PI + math.log(p["v2"])
                       + (z2 - p["m2"]) ** 2 / p["v2"])
  np.testing.assert_allclose(terms["log_belief_t2"], log_belief, rtol=1e-5,
                             atol=1e-5)
  log_lik = -0.5 * (_LOG_2PI + math.log(p["r2"])
                    + (p["x"] - p["g"] * z2) ** 2 / p["r2"])
  np.testing.assert_allclose(terms["log_likelihood"], log_lik, rtol=1e-5,
                             atol=1e-4)
  # z2 ~ N(m2, v2): standard errors of the mean and of the variance.
  assert abs(z2.mean() - p["m2"]) < _NUM_SE * math.sqrt(p["v2"] / _MC)
  assert abs(z2.var(ddof=1) - p["v2"]) < _NUM_SE * p["v2"] * math.sqrt(
      2 / (_MC - 1))


# A 1-D linear-Gaussian state space model: z_{t+1} = A z_t + N(0, TAU2),
# x_t = G z_t + N(0, R2), z_1 ~ N(0, 1); x_1..x_4 observed, t1 = 3, t2 = 4.
_A, _TAU2, _G, _R2 = 0.9, 0.4, 1.3, 0.25
_XS = np.array([0.8, -0.4, 1.1, 0.6], np.float32)


def _filtered():
  model = kalman.LinearGaussian(
      transition=jnp.array([[_A]]), process_cov=jnp.array([[_TAU2]]),
      observation=jnp.array([[_G]]), observation_cov=jnp.array([[_R2]]),
      initial_mean=jnp.zeros(1), initial_cov=jnp.ones((1, 1)))
  return kalman.kalman_filter(model, _XS[:, None])


def _exact_posteriors():
  """The parameters `_linear_model` takes for the exact beliefs at t1 and
  t2, the exact smoothing posterior and the true model, and log p(x_t2 |
  x_1..t1) in closed form."""
  filtered = _filtered()
  m1, v1 = float(filtered.mean[2, 0]), float(filtered.cov[2, 0, 0])
  m2, v2 = float(filtered.mean[3, 0]), float(filtered.cov[3, 0, 0])
  pred_mean, pred_var = _A * m1, _A ** 2 * v1 + _TAU2      # p(z_t2 | x_1..t1)
  x = float(_XS[3])
  obs_var = _G ** 2 * pred_var + _R2
  gain = pred_var * _G / obs_var
  # The filter's belief at t2 is the Kalman update of the prediction.
  np.testing.assert_allclose(m2, pred_mean + gain * (x - _G * pred_mean),
                             rtol=1e-5)
  np.testing.assert_allclose(v2, (1 - gain * _G) * pred_var, rtol=1e-5)
  log_pred = -0.5 * (_LOG_2PI + math.log(obs_var)
                     + (x - _G * pred_mean) ** 2 / obs_var)
  np.testing.assert_allclose(float(filtered.log_likelihood[3]), log_pred,
                             rtol=1e-5)
  # p(z_t1 | z_t2, x_1..t1): Cov(z_t1, z_t2) = A v1.
  smooth_gain = _A * v1 / pred_var
  p = dict(m1=m1, v1=v1, m2=m2, v2=v2, alpha=smooth_gain,
           c=m1 - smooth_gain * pred_mean, s2=v1 - smooth_gain * _A * v1,
           a=_A, tau2=_TAU2, g=_G, r2=_R2, x=x)
  return p, float(filtered.log_likelihood[3])


def test_bound_is_tight_with_exact_posteriors():
  p, log_pred = _exact_posteriors()
  terms = _mc_terms(p, 1)
  _assert_mc_mean(-terms["loss"], log_pred, "bound")
  # The closed-form expectation of the bound is exactly log p as well.
  np.testing.assert_allclose(-_expected_terms(p)["loss"], log_pred,
                             rtol=1e-5)
  # Not trivially: the bound varies from sample to sample (the KL at t1
  # stands in for the sampled log-ratio of z_t1).
  assert terms["loss"].std() > 0.1


def test_bound_is_loose_with_a_wrong_smoothing_posterior():
  p, log_pred = _exact_posteriors()
  shift = 0.5 * math.sqrt(p["s2"])
  exact = _mc_terms(p, 2)
  wrong = _mc_terms(dict(p, c=p["c"] + shift), 2)
  _assert_mc_mean(-wrong["loss"], log_pred - shift ** 2 / (2 * p["s2"]),
                  "wrong bound")
  # Same keys, same z_t2: the gap is E KL(q_S || exact smoothing) =
  # shift^2 / (2 s2) = 0.125 nats, far beyond its standard error.
  gap = wrong["loss"] - exact["loss"]
  std_err = gap.std(ddof=1) / math.sqrt(_MC)
  assert gap.mean() > 10 * std_err
  _assert_mc_mean(gap, shift ** 2 / (2 * p["s2"]), "gap")
  np.testing.assert_array_equal(wrong["log_belief_t2"],
                                exact["log_belief_t2"])


# Random two-layer hierarchies of width 3 each (D = 6), no Flax.
_WIDTH, _LAYERS, _CTX = 3, 2, 4


def _random_params(seed):
  """Parameters of belief_t1, belief_t2, smoothing, transition and decoder:
  per layer a matrix from (context, upper) to (mean, logvar)."""
  rng = np.random.default_rng(seed)
  def hierarchy(inputs):
    return [rng.normal(size=(inputs + _WIDTH * l, 2 * _WIDTH)).astype(
        np.float32) * 0.7 for l in range(_LAYERS)]
  return dict(belief_t1=hierarchy(_CTX), belief_t2=hierarchy(_CTX),
              smoothing=hierarchy(_CTX + _LAYERS * _WIDTH),
              transition=hierarchy(_LAYERS * _WIDTH),
              decoder=rng.normal(size=(_LAYERS * _WIDTH, 5)).astype(
                  np.float32))


def _layers(weights, inputs):
  """The layers of a hierarchy given `inputs [B, I]` (a belief's context
  or a conditioning z): mean and a log-variance squashed into (-2, 2)."""
  def layer_fn(layer, upper):
    h = inputs if upper is None else jnp.concatenate([inputs, upper], -1)
    out = h @ weights[layer]
    return out[:, :_WIDTH], 2.0 * jnp.tanh(out[:, _WIDTH:])
  return layer_fn


def _random_model(params, seed, batch):
  ctx = jax.random.normal(jax.random.key(seed), (3, batch, _CTX))
  x = ctx[2, :, :1] + jnp.zeros((batch, 5))
  return dict(
      belief_t1=_layers(params["belief_t1"], ctx[0]),
      belief_t2=_layers(params["belief_t2"], ctx[1]),
      smoothing=lambda z2: _layers(params["smoothing"],
                                   jnp.concatenate([ctx[0], z2], -1)),
      transition=lambda z1: _layers(params["transition"], z1),
      log_likelihood=lambda z2: distributions.gaussian_log_prob(
          x, z2 @ params["decoder"], 0.0),
      num_layers=_LAYERS)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kl_is_positive_for_random_hierarchies(seed):
  params = _random_params(seed)
  keys = distributions.per_example_keys(jax.random.key(seed), 256)
  terms = tdvae.tdvae_terms(keys, **_random_model(params, seed, 256))
  chex.assert_shape(list(terms.values()), (256,))
  chex.assert_tree_all_finite(terms)
  assert float(jnp.min(terms["kl_t1"])) > 0.0
  # And zero where the smoothing posterior is the belief at t1.
  model = _random_model(params, seed, 256)
  same = tdvae.tdvae_terms(keys, **dict(
      model, smoothing=lambda z2: model["belief_t1"]))
  np.testing.assert_allclose(same["kl_t1"], 0.0, atol=1e-6)


@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0, 4.0])
def test_summarize(beta):
  rng = np.random.default_rng(5)
  terms = {k: rng.normal(size=16).astype(np.float32) for k in _TERMS}
  terms["kl_t1"] = np.abs(terms["kl_t1"])
  loss, metrics = tdvae.summarize(terms, beta=beta)
  assert set(metrics) == {"loss", "loss_rec", "loss_kl", "loss_transition",
                          "bound"}
  chex.assert_shape([loss] + list(metrics.values()), ())
  t = {k: v.astype(np.float64) for k, v in terms.items()}
  rec, kl = -t["log_likelihood"].mean(), t["kl_t1"].mean()
  transition = (t["log_belief_t2"] - t["log_transition"]).mean()
  np.testing.assert_allclose(metrics["loss_rec"], rec, rtol=1e-5)
  np.testing.assert_allclose(metrics["loss_kl"], kl, rtol=1e-5)
  np.testing.assert_allclose(metrics["loss_transition"], transition,
                             rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(loss, rec + beta * (kl + transition),
                             rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(metrics["loss"], loss)
  # The bound ignores beta; at beta = 1 the loss is minus the bound, and
  # then also the mean of the per-example losses.
  np.testing.assert_allclose(metrics["bound"], -(rec + kl + transition),
                             rtol=1e-5, atol=1e-6)
  if beta == 1.0:
    np.testing.assert_allclose(loss, -metrics["bound"], rtol=1e-6)
  t["loss"] = -(t["log_likelihood"] + t["log_transition"]
                - t["log_belief_t2"] - t["kl_t1"])
  _, consistent = tdvae.summarize(
      {k: v.astype(np.float32) for k, v in t.items()}, beta=beta)
  np.testing.assert_allclose(consistent["bound"], -t["loss"].mean(),
                             rtol=1e-5, atol=1e-6)


def test_tdvae_loss_is_summarize_of_terms():
  params = _random_params(0)
  keys = distributions.per_example_keys(jax.random.key(9), 32)
  model = _random_model(params, 0, 32)
  loss, metrics = tdvae.tdvae_loss(keys, beta=0.5, **model)
  expected, expected_metrics = tdvae.summarize(
      tdvae.tdvae_terms(keys, **model), beta=0.5)
  np.testing.assert_allclose(loss, expected, rtol=1e-6)
  chex.assert_trees_all_close(metrics, expected_metrics, rtol=1e-6)
  # beta may be traced (a warm-up schedule inside a compiled step).
  traced = jax.jit(lambda b: tdvae.tdvae_loss(keys, beta=b, **model)[0])
  np.testing.assert_allclose(traced(np.float32(0.5)), expected, rtol=1e-5)


def test_every_part_receives_a_gradient():
  params = _random_params(1)
  keys = distributions.per_example_keys(jax.random.key(10), 64)
  loss_fn = jax.jit(lambda p: tdvae.tdvae_loss(
      keys, **_random_model(p, 1, 64))[0])
  grads = jax.grad(loss_fn)(params)
  for part, grad in grads.items():
    for leaf in jax.tree_util.tree_leaves(grad):
      assert np.all(np.isfinite(leaf)), part
      assert np.max(np.abs(leaf)) > 1e-4, part
  # The gradient is the derivative of the loss at fixed keys (the samples
  # are reparameterised): for each part, a central difference along a
  # random unit direction in its parameters.
  for i, part in enumerate(grads):
    direction = jax.tree_util.tree_map(
        lambda g, i=i: np.asarray(jax.random.normal(jax.random.key(i),
                                                    g.shape)), grads[part])
    norm = math.sqrt(sum(np.sum(d ** 2) for d in
                         jax.tree_util.tree_leaves(direction)))
    direction = jax.tree_util.tree_map(lambda d, n=norm: d / n, direction)
    def shifted(step, part=part, direction=direction):
      moved = jax.tree_util.tree_map(lambda p, d: p + step * d,
                                     params[part], direction)
      return dict(params, **{part: moved})
    eps = 2e-3
    numeric = (loss_fn(shifted(eps)) - loss_fn(shifted(-eps))) / (2 * eps)
    analytic = sum(np.vdot(g, d) for g, d in zip(
        jax.tree_util.tree_leaves(grads[part]),
        jax.tree_util.tree_leaves(direction)))
    np.testing.assert_allclose(numeric, analytic, rtol=1e-2, err_msg=part)
