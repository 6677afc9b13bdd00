"""Tests for DEC's and IDEC's objectives (`losses/clustering.py`)."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.losses import clustering


@pytest.fixture(name="points", scope="module")
def _points():
  key_z, key_c = jax.random.split(jax.random.key(0))
  return (jax.random.normal(key_z, (64, 4)) * 2.0,
          jax.random.normal(key_c, (5, 4)) * 2.0)


def _entropy(p):
  return -jnp.sum(p * jnp.log(p), axis=1)


@pytest.mark.parametrize("alpha", [1.0, 3.0])
def test_soft_assignments_are_the_normalised_student_t_kernel(points, alpha):
  z, centres = points
  q = clustering.student_t_assignments(z, centres, alpha=alpha)
  chex.assert_shape(q, (64, 5))
  np.testing.assert_allclose(np.sum(q, axis=1), 1.0, rtol=1e-5)
  d2 = np.sum((np.asarray(z)[:, None] - np.asarray(centres)[None]) ** 2, -1)
  kernel = (1 + d2 / alpha) ** (-(alpha + 1) / 2)
  np.testing.assert_allclose(q, kernel / kernel.sum(1, keepdims=True),
                             rtol=1e-5)
  # the nearest centre gets the largest share
  np.testing.assert_array_equal(np.argmax(q, 1), np.argmin(d2, 1))


def test_targets_are_sharper_and_favour_confident_points(points):
  z, centres = points
  q = clustering.student_t_assignments(z, centres)
  p = clustering.target_distribution(q)
  np.testing.assert_allclose(np.sum(p, axis=1), 1.0, rtol=1e-5)
  assert float(jnp.mean(_entropy(p))) < float(jnp.mean(_entropy(q)))
  # With equal cluster frequencies (every row in all 3 cyclic shifts) each
  # point's target is sharper, and the more confident a point, the more
  # of its target its top cluster takes.
  base = np.array([[0.4, 0.35, 0.25], [0.6, 0.3, 0.1], [0.9, 0.06, 0.04]])
  q = jnp.asarray(np.concatenate([np.roll(base, k, axis=1)
                                  for k in range(3)]), jnp.float32)
  p = clustering.target_distribution(q)
  assert bool(jnp.all(_entropy(p) < _entropy(q)))
  top = jnp.max(p, 1)[:3]
  assert bool(jnp.all(jnp.diff(top) > 0))
  assert bool(jnp.all(top > jnp.max(q, 1)[:3]))


def test_targets_shrink_the_most_frequent_cluster():
  # 10 points lean to cluster 0, 2 to cluster 1: squaring alone would keep
  # cluster 0's weight; dividing by its frequency lowers it.
  q = jnp.asarray([[0.6, 0.2, 0.2]] * 10 + [[0.2, 0.6, 0.2]] * 2,
                  jnp.float32)
  p = clustering.target_distribution(q)
  squared = jnp.square(q) / jnp.sum(jnp.square(q), axis=1, keepdims=True)
  assert float(jnp.mean(p[:, 0])) < float(jnp.mean(squared[:, 0]))
  assert float(jnp.mean(p[:, 1])) > float(jnp.mean(squared[:, 1]))


def test_the_loss_is_kl_and_zero_when_targets_equal_assignments(points):
  z, centres = points
  q = clustering.student_t_assignments(z, centres)
  loss, metrics = clustering.dec_loss(z, centres, q)
  assert abs(float(loss)) < 1e-6 and set(metrics) == {"loss", "loss_cluster"}
  p = clustering.target_distribution(q)
  loss, _ = clustering.dec_loss(z, centres, p)
  expected = np.mean(np.sum(p * np.log(p / q), axis=1))
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
  assert float(loss) > 0


def test_the_gradient_moves_a_centre_towards_its_points():
  rng = np.random.default_rng(0)
  z = jnp.asarray(np.concatenate([rng.normal(0, 0.3, (30, 2)) + [3, 0],
                                  rng.normal(0, 0.3, (30, 2)) - [3, 0]]),
                  jnp.float32)
  centres = jnp.array([[2.0, 1.0], [-2.5, -1.0]])
  p = clustering.target_distribution(
      clustering.student_t_assignments(z, centres))
  grad = jax.grad(lambda c: clustering.dec_loss(z, c, p)[0])(centres)
  moved = centres - 0.5 * grad
  for k, mean in enumerate([[3.0, 0.0], [-3.0, 0.0]]):
    before = jnp.linalg.norm(centres[k] - jnp.array(mean))
    after = jnp.linalg.norm(moved[k] - jnp.array(mean))
    assert float(after) < float(before)
  # and the targets get no gradient
  g_p = jax.grad(lambda pp: clustering.dec_loss(z, centres, pp)[0])(p)
  np.testing.assert_array_equal(g_p, 0.0)


def test_idec_adds_the_weighted_clustering_loss(points):
  z, centres = points
  p = clustering.target_distribution(
      clustering.student_t_assignments(z, centres))
  rec = jnp.linspace(0.0, 2.0, 64)
  loss, m = clustering.idec_loss(rec, z, centres, p, gamma=0.1)
  cluster, _ = clustering.dec_loss(z, centres, p)
  np.testing.assert_allclose(float(loss), 1.0 + 0.1 * float(cluster),
                             rtol=1e-5)
  assert set(m) == {"loss", "loss_rec", "loss_cluster"}


def _mixture(k, d, seed=1):
  keys = jax.random.split(jax.random.key(seed), 3)
  return {"logits": jax.random.normal(keys[0], (k,)),
          "means": jax.random.normal(keys[1], (k, d)) * 2.0,
          "log_vars": 0.3 * jax.random.normal(keys[2], (k, d))}


def test_mixture_posterior_is_the_gmm_responsibility(points):
  from unsup_jax.ops import clustering as ops_clustering  # pylint: disable=g-import-not-at-top
  z, _ = points
  prior = _mixture(5, 4)
  gamma = clustering.mixture_posterior(z, prior["logits"], prior["means"],
                                       prior["log_vars"])
  np.testing.assert_allclose(np.sum(gamma, axis=1), 1.0, rtol=1e-5)
  gmm = ops_clustering.GMM(jax.nn.softmax(prior["logits"]), prior["means"],
                           jnp.exp(prior["log_vars"]))
  resp, _ = ops_clustering.e_step(z, gmm)
  np.testing.assert_allclose(gamma, resp, rtol=1e-4, atol=1e-6)


def test_mixture_kl_is_the_expectation_it_names(points):
  """sum_c gamma_c E_q[log q(z|x) - log p(z|c)] + KL(gamma || pi), the
  expectation over z by Monte Carlo."""
  z, _ = points
  mean, logvar = z[:3], 0.4 * z[3:6]
  prior = _mixture(5, 4)
  gamma = jax.nn.softmax(z[6:9, :1] * jnp.arange(5.0), axis=1)
  exact = clustering.mixture_kl(mean, logvar, gamma, prior["logits"],
                                prior["means"], prior["log_vars"])
  eps = jax.random.normal(jax.random.key(7), (200_000, 3, 4))
  s = mean + jnp.exp(0.5 * logvar) * eps                       # [S, B, D]

  def log_normal(x, m, lv):
    return -0.5 * jnp.sum(jnp.log(2 * jnp.pi) + lv + (x - m) ** 2 /
                          jnp.exp(lv), axis=-1)
  log_q = log_normal(s, mean, logvar)                          # [S, B]
  log_p = log_normal(s[:, :, None], prior["means"], prior["log_vars"])
  log_pi = jax.nn.log_softmax(prior["logits"])
  mc = jnp.mean(log_q[..., None] - log_p, axis=0)              # [B, K]
  expected = jnp.sum(gamma * (mc + jnp.log(gamma) - log_pi), axis=1)
  np.testing.assert_allclose(exact, expected, rtol=2e-2, atol=2e-2)


def test_one_component_is_the_vae_kl(points):
  from unsup_jax.ops import distributions  # pylint: disable=g-import-not-at-top
  z, _ = points
  mean, logvar = z[:8], 0.3 * z[8:16]
  one = jnp.ones((8, 1))
  kl = clustering.mixture_kl(mean, logvar, one, jnp.zeros((1,)),
                             jnp.zeros((1, 4)), jnp.zeros((1, 4)))
  np.testing.assert_allclose(
      kl, distributions.kl_standard_normal(mean, logvar), rtol=1e-5)
  log_lik = -jnp.arange(8.0)
  loss, metrics = clustering.vade_loss(
      log_lik, mean, mean, logvar, {"logits": jnp.zeros((1,)),
                                    "means": jnp.zeros((1, 4)),
                                    "log_vars": jnp.zeros((1, 4))})
  np.testing.assert_allclose(loss, jnp.mean(-log_lik + kl), rtol=1e-5)
  assert float(metrics["kl"]) >= 0


def test_vade_loss_gradient_moves_the_prior_means_towards_the_codes():
  z = jnp.array([[3.0, 3.0]] * 4)
  prior = {"logits": jnp.zeros((2,)), "means": jnp.array([[1.0, 1.0],
                                                          [-5.0, -5.0]]),
           "log_vars": jnp.zeros((2, 2))}
  grad = jax.grad(lambda p: clustering.vade_loss(
      jnp.zeros(4), z, z, jnp.full((4, 2), -2.0), p)[0])(prior)
  # A descent step moves the responsible component's mean towards z.
  assert np.all(np.asarray(-grad["means"][0]) > 0)


def test_targets_equal_equation_3_computed_in_numpy(points):
  z, centres = points
  q = np.asarray(clustering.student_t_assignments(z, centres), np.float64)
  weight = q ** 2 / q.sum(axis=0)
  expected = weight / weight.sum(axis=1, keepdims=True)
  np.testing.assert_allclose(clustering.target_distribution(q), expected,
                             rtol=1e-6)


def _random_assignments(key, n, k):
  return jax.nn.softmax(3.0 * jax.random.normal(key, (n, k)), axis=1)


def _mutual_information_by_hand(p1, p2):
  p1, p2 = np.asarray(p1, np.float64), np.asarray(p2, np.float64)
  joint = np.zeros((p1.shape[1], p2.shape[1]))
  for a, b in zip(p1, p2):
    joint += np.outer(a, b)
  joint /= len(p1)
  joint = (joint + joint.T) / 2
  row, col = joint.sum(1), joint.sum(0)
  return sum(joint[i, j] * np.log(joint[i, j] / (row[i] * col[j]))
             for i in range(len(row)) for j in range(len(col)))


def test_iic_loss_is_minus_the_mutual_information_of_its_joint():
  k1, k2 = jax.random.split(jax.random.key(3))
  p1, p2 = _random_assignments(k1, 50, 6), _random_assignments(k2, 50, 6)
  loss, metrics = clustering.iic_loss(p1, p2, eps=0.0)
  expected = _mutual_information_by_hand(p1, p2)
  np.testing.assert_allclose(loss, -expected, rtol=1e-5)
  np.testing.assert_allclose(metrics["mutual_information"], expected,
                             rtol=1e-5)
  joint = clustering.iic_joint(p1, p2)
  np.testing.assert_allclose(joint, np.asarray(joint).T, rtol=1e-6)
  np.testing.assert_allclose(np.sum(joint), 1.0, rtol=1e-6)


def test_iic_loss_is_symmetric_in_its_two_views():
  k1, k2 = jax.random.split(jax.random.key(4))
  p1, p2 = _random_assignments(k1, 40, 5), _random_assignments(k2, 40, 5)
  np.testing.assert_allclose(clustering.iic_loss(p1, p2)[0],
                             clustering.iic_loss(p2, p1)[0], rtol=1e-6)


def test_iic_information_is_log_k_for_a_one_to_one_assignment_and_less_else():
  k = 5
  onehot = jnp.eye(k)[jnp.arange(100) % k]
  best = -clustering.iic_loss(onehot, onehot)[0]
  np.testing.assert_allclose(best, np.log(k), rtol=1e-5)
  # Views that disagree, soft or unbalanced assignments carry less.
  shifted = jnp.eye(k)[(jnp.arange(100) + (jnp.arange(100) % 3 == 0)) % k]
  unbalanced = jnp.eye(k)[jnp.minimum(jnp.arange(100) % k, 3)]
  soft = _random_assignments(jax.random.key(5), 100, k)
  for p1, p2 in ((onehot, shifted), (unbalanced, unbalanced), (soft, soft)):
    assert -clustering.iic_loss(p1, p2)[0] < np.log(k) - 1e-3
  # A permutation of the clusters between the views is just as informative.
  permuted = onehot[:, ::-1]
  np.testing.assert_allclose(-clustering.iic_loss(onehot, permuted)[0],
                             np.log(k), rtol=1e-5)


def test_iic_joint_under_pmap_is_the_global_batch_joint():
  k1, k2 = jax.random.split(jax.random.key(6))
  p1, p2 = _random_assignments(k1, 64, 4), _random_assignments(k2, 64, 4)
  n = jax.local_device_count()
  shard = lambda p: p.reshape(n, 64 // n, 4)
  loss = jax.pmap(lambda a, b: clustering.iic_loss(a, b, axis_name="d")[0],
                  axis_name="d")(shard(p1), shard(p2))
  np.testing.assert_allclose(loss, np.full(n, clustering.iic_loss(p1, p2)[0]),
                             rtol=1e-5)
