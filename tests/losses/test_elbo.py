"""Property tests for unsup_jax.losses.elbo."""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

from unsup_jax.losses import elbo

_POOL = 1 << 12


def _normal(seed, shape, scale=1.0):
  """float32 N(0, scale^2) draws of `shape` from `jax.random.key(seed)`.

  Every call draws the same number of values, so the draw compiles once.
  """
  pool = np.asarray(jax.random.normal(jax.random.key(seed), (_POOL,)))
  return (scale * pool[:math.prod(shape)].reshape(shape)).astype(np.float32)


def _batch(seed, size=16):
  """A random batch of log-likelihoods (negative) and KLs (non-negative)."""
  log_likelihood = -np.abs(_normal(seed, (2, size), 50.0))[0] - 10.0
  kl = np.abs(_normal(seed, (2, size), 5.0))[1]
  return log_likelihood, kl


class TestNegativeElbo:

  def test_beta_one_is_the_negative_elbo(self):
    ll, kl = _batch(0)
    loss, metrics = elbo.negative_elbo(ll, kl)
    expected = -np.mean(ll.astype(np.float64)) + np.mean(kl.astype(np.float64))
    np.testing.assert_allclose(loss, expected, rtol=1e-6)
    assert set(metrics) == {"loss", "loss_rec", "loss_kl", "elbo"}
    np.testing.assert_allclose(metrics["loss"], loss)
    np.testing.assert_allclose(metrics["loss_rec"], -np.mean(ll), rtol=1e-6)
    np.testing.assert_allclose(metrics["loss_kl"], np.mean(kl), rtol=1e-6)
    np.testing.assert_allclose(metrics["elbo"], np.mean(ll - kl), rtol=1e-6)
    np.testing.assert_allclose(metrics["elbo"], -loss, rtol=1e-6)
    chex.assert_shape([loss] + list(metrics.values()), ())

  @pytest.mark.parametrize("beta", [0.0, 0.5, 4.0, 250.0])
  def test_beta_scales_only_the_kl(self, beta):
    ll, kl = _batch(1)
    loss, metrics = elbo.negative_elbo(ll, kl, beta=beta)
    _, plain = elbo.negative_elbo(ll, kl)
    # The reconstruction term, the KL and the reported ELBO ignore beta.
    for name in ("loss_rec", "loss_kl", "elbo"):
      np.testing.assert_allclose(metrics[name], plain[name], rtol=1e-6)
    np.testing.assert_allclose(loss,
                               -np.mean(ll) + beta * np.mean(kl), rtol=1e-5)
    np.testing.assert_allclose(loss - metrics["loss_rec"],
                               beta * metrics["loss_kl"], rtol=1e-4,
                               atol=1e-4)

  def test_beta_may_be_a_traced_array(self):
    ll, kl = _batch(2)
    fn = jax.jit(lambda b: elbo.negative_elbo(ll, kl, beta=b)[0])
    np.testing.assert_allclose(fn(np.float32(3.0)),
                               -np.mean(ll) + 3.0 * np.mean(kl), rtol=1e-5)

  @pytest.mark.parametrize("capacity", [0.0, 1.0, 25.0])
  @pytest.mark.parametrize("gamma", [1.0, 1000.0])
  def test_capacity_objective(self, capacity, gamma):
    ll, kl = _batch(3)
    loss, metrics = elbo.negative_elbo(ll, kl, beta=123.0, capacity=capacity,
                                       gamma=gamma)
    expected = -np.mean(ll) + gamma * abs(np.mean(kl) - capacity)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    np.testing.assert_allclose(metrics["loss"], loss)
    np.testing.assert_allclose(metrics["elbo"], np.mean(ll - kl), rtol=1e-6)

  def test_capacity_at_the_kl_leaves_only_reconstruction(self):
    ll, kl = _batch(4)
    loss, _ = elbo.negative_elbo(ll, kl, capacity=float(np.mean(kl)))
    np.testing.assert_allclose(loss, -np.mean(ll), rtol=1e-4)

  def test_value_and_grad_with_aux(self):
    ll, kl = _batch(5, size=8)

    def fn(ll, kl, beta):
      return elbo.negative_elbo(ll, kl, beta=beta)

    (loss, metrics), (g_ll, g_kl) = jax.value_and_grad(
        fn, argnums=(0, 1), has_aux=True)(ll, kl, 2.5)
    np.testing.assert_allclose(loss, metrics["loss"])
    np.testing.assert_allclose(g_ll, np.full(8, -1.0 / 8), rtol=1e-6)
    np.testing.assert_allclose(g_kl, np.full(8, 2.5 / 8), rtol=1e-6)

  @pytest.mark.parametrize("capacity,sign", [(0.0, 1.0), (1e4, -1.0)])
  def test_capacity_gradient(self, capacity, sign):
    ll, kl = _batch(6, size=8)
    grad = jax.grad(
        lambda k: elbo.negative_elbo(ll, k, capacity=capacity,
                                     gamma=10.0)[0])(kl)
    np.testing.assert_allclose(grad, np.full(8, sign * 10.0 / 8), rtol=1e-6)


class TestIwaeBound:

  def test_one_sample_is_the_elbo_term(self):
    log_px, log_pz, log_qz = (_normal(s, (1, 9), 10.0) for s in (10, 11, 12))
    bound = elbo.iwae_bound(log_px, log_pz, log_qz)
    chex.assert_shape(bound, (9,))
    np.testing.assert_allclose(bound, (log_px + log_pz - log_qz)[0],
                               rtol=1e-6, atol=1e-5)

  @pytest.mark.parametrize("num_samples", [2, 5, 64])
  @pytest.mark.parametrize("scale", [0.1, 3.0, 300.0])
  def test_matches_float64_log_mean_exp(self, num_samples, scale):
    shape = (num_samples, 7)
    log_px, log_pz, log_qz = (_normal(s, shape, scale) - 100.0
                              for s in (13, 14, 15))
    bound = elbo.iwae_bound(log_px, log_pz, log_qz)
    log_w = (log_px.astype(np.float64) + log_pz - log_qz)
    expected = special.logsumexp(log_w, axis=0) - np.log(num_samples)
    chex.assert_tree_all_finite(bound)
    np.testing.assert_allclose(bound, expected, rtol=1e-5, atol=1e-3)

  @pytest.mark.parametrize("seed", range(5))
  def test_jensen_between_mean_and_max_log_weight(self, seed):
    num_samples = 2 + 7 * seed
    log_w = _normal(20 + seed, (num_samples, 11), 5.0 * (seed + 1))
    zeros = np.zeros_like(log_w)
    bound = np.asarray(elbo.iwae_bound(log_w, zeros, zeros))
    # log mean exp >= mean log (Jensen) and <= max.
    assert np.all(bound >= log_w.mean(0) - 1e-4)
    assert np.all(bound <= log_w.max(0) + 1e-4)
    # The two other arguments enter only through log p(x|z) + log p(z) - log q.
    shift = _normal(30 + seed, (num_samples, 11))
    np.testing.assert_allclose(
        elbo.iwae_bound(log_w - shift, 2.0 * shift, shift), bound,
        rtol=1e-5, atol=1e-4)

  def test_constant_weights_give_the_weight(self):
    log_w = np.full((10, 3), -42.5, np.float32)
    zeros = np.zeros_like(log_w)
    np.testing.assert_allclose(elbo.iwae_bound(log_w, zeros, zeros),
                               [-42.5] * 3, rtol=1e-6)

  @pytest.mark.parametrize("sizes", [(4, 4, 4), (1, 5, 6), (12,)])
  def test_merged_chunks_equal_the_unchunked_bound(self, sizes):
    total = sum(sizes)
    log_w = _normal(40, (total, 5), 20.0)
    zeros = np.zeros_like(log_w)
    bounds = np.cumsum((0,) + sizes)
    chunks = np.stack([special.logsumexp(log_w[a:b], axis=0)
                       for a, b in zip(bounds[:-1], bounds[1:])])
    merged = elbo.merge_log_weight_chunks(jnp.asarray(chunks), total)
    np.testing.assert_allclose(merged, elbo.iwae_bound(log_w, zeros, zeros),
                               rtol=1e-5, atol=1e-4)
