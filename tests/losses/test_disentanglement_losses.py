"""Tests for `unsup_jax.losses.disentanglement`: the β-TCVAE decomposition
of the KL on exact small cases, and the DIP-VAE covariance penalties."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.losses import disentanglement as dl
from unsup_jax.ops import distributions


def _batch(key, b, d, spread=1.0):
  k1, k2, k3 = jax.random.split(key, 3)
  mean = spread * jax.random.normal(k1, (b, d))
  logvar = jax.random.uniform(k2, (b, d), minval=-2.0, maxval=0.5)
  z = mean + jnp.exp(0.5 * logvar) * jax.random.normal(k3, (b, d))
  return z, mean, logvar


@pytest.mark.parametrize("estimator", dl.ESTIMATORS)
def test_the_three_terms_add_up_to_the_sampled_kl(estimator):
  z, mean, logvar = _batch(jax.random.key(0), 16, 4)
  t = dl.tc_decomposition(z, mean, logvar, 1000, estimator)
  log_q = distributions.gaussian_log_prob(z, mean, logvar)
  log_p = distributions.standard_normal_log_prob(z)
  np.testing.assert_allclose(sum(t.values()), jnp.mean(log_q - log_p),
                             rtol=1e-5, atol=1e-5)


def test_on_the_whole_dataset_mss_gives_the_exact_decomposition():
  """N = B = 3 one-dimensional posteriors: q(z) is an exact 3-component
  mixture, so the terms' expectations over z are integrals: the mutual
  information I(x; z) and KL(q(z) || p(z)) by quadrature, and TC = 0."""
  mean = jnp.array([[-1.5], [0.2], [1.0]])
  logvar = jnp.log(jnp.array([[0.3], [0.6], [0.2]]))
  keys = jax.random.split(jax.random.key(1), 20000)

  def terms(k):
    z = mean + jnp.exp(0.5 * logvar) * jax.random.normal(k, mean.shape)
    return dl.tc_decomposition(z, mean, logvar, 3, "mss")

  t = jax.tree.map(lambda v: float(jnp.mean(v)), jax.vmap(terms)(keys))
  grid = np.linspace(-8, 8, 40001)
  dz = grid[1] - grid[0]
  var = np.exp(np.asarray(logvar[:, 0]))
  comps = np.exp(-0.5 * (grid[None] - np.asarray(mean[:, 0])[:, None]) ** 2
                 / var[:, None]) / np.sqrt(2 * np.pi * var[:, None])
  q = comps.mean(0)
  p = np.exp(-0.5 * grid ** 2) / np.sqrt(2 * np.pi)
  mi = np.mean([np.sum(c * np.log(c / q + 1e-300)) * dz for c in comps])
  kl_agg = np.sum(q * np.log(q / p)) * dz
  assert t["total_correlation"] == pytest.approx(0.0, abs=1e-6)
  assert t["mutual_info"] == pytest.approx(mi, abs=0.02)
  assert t["dimensionwise_kl"] == pytest.approx(kl_agg, abs=0.02)
  # ... and together the mean analytic KL.
  kl = float(jnp.mean(distributions.kl_standard_normal(mean, logvar)))
  assert t["mutual_info"] + t["dimensionwise_kl"] == pytest.approx(kl,
                                                                    abs=0.02)


def test_identical_factorised_posteriors_carry_no_information():
  """Every example with the same diagonal posterior: q(z) = q(z|x), so MI
  and TC are 0 and the dimension-wise KL is the whole KL, per sample."""
  mean = jnp.tile(jnp.array([[0.5, -1.0, 0.0]]), (8, 1))
  logvar = jnp.tile(jnp.array([[-1.0, 0.0, 0.3]]), (8, 1))
  z = mean + jnp.exp(0.5 * logvar) * jax.random.normal(jax.random.key(2),
                                                       mean.shape)
  t = dl.tc_decomposition(z, mean, logvar, 8, "mss")
  assert float(t["mutual_info"]) == pytest.approx(0.0, abs=1e-5)
  assert float(t["total_correlation"]) == pytest.approx(0.0, abs=1e-5)
  penalty, _ = dl.tcvae_penalty(z, mean, logvar, 8, beta=6.0,
                                estimator="mss")
  assert float(penalty) == pytest.approx(float(t["dimensionwise_kl"]),
                                         abs=1e-5)


def test_mws_weighs_every_posterior_one_over_n_b():
  w = dl._log_weights(4, 100, "mws")
  np.testing.assert_allclose(jnp.exp(w), 1 / 400, rtol=1e-6)
  s = jnp.exp(dl._log_weights(4, 100, "mss"))
  np.testing.assert_allclose(jnp.diag(s), 1 / 100, rtol=1e-6)
  np.testing.assert_allclose(s.sum(1), 1.0, rtol=1e-6)   # weights of q(z)
  with pytest.raises(ValueError, match="estimator"):
    dl.log_aggregate_posterior(*_batch(jax.random.key(0), 2, 2), 10, "is")


def test_dip_penalties_vanish_at_the_identity_and_weigh_their_parts():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(500, 3))
  x = (x - x.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(x.T, bias=True))).T
  mean = jnp.asarray(x, jnp.float32)
  very_small = jnp.full(mean.shape, -30.0)
  p, cov = dl.dip_penalty(mean, very_small, kind="i")
  np.testing.assert_allclose(cov, np.eye(3), atol=1e-4)
  assert float(p) == pytest.approx(0.0, abs=1e-4)
  # DIP-VAE-II adds the mean posterior variance to the diagonal.
  p2, cov2 = dl.dip_penalty(mean * np.sqrt(0.5), jnp.log(jnp.full(
      mean.shape, 0.5)), kind="ii", lambda_od=3.0, lambda_d=7.0)
  np.testing.assert_allclose(cov2, np.eye(3), atol=1e-4)
  assert float(p2) == pytest.approx(0.0, abs=1e-4)
  # Off-diagonal and diagonal errors are weighted by their own lambdas.
  skew = mean @ jnp.array([[1.0, 0.5, 0], [0, 1.0, 0], [0, 0, 2.0]])
  p_od, c = dl.dip_penalty(skew, very_small, lambda_od=1.0, lambda_d=0.0)
  off = np.asarray(c) - np.diag(np.diag(c))
  assert float(p_od) == pytest.approx(float(np.sum(off ** 2)), rel=1e-4)
  p_d, _ = dl.dip_penalty(skew, very_small, lambda_od=0.0, lambda_d=1.0)
  assert float(p_d) == pytest.approx(float(np.sum((np.diag(c) - 1) ** 2)),
                                     rel=1e-4)
