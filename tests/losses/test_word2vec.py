"""Skip-gram with negative sampling (`losses/word2vec.py`): the loss and its
hand-written gradients against a case written out by hand, against
`jax.grad`, the grouped path against the per-pair path, and the mask."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.losses import word2vec as w2v_loss


def _random_inputs(seed, g, s, k, d, masked_fraction=0.3):
  rng = np.random.default_rng(seed)
  u = rng.normal(size=(g, s, d)).astype(np.float32)
  pos = rng.normal(size=(g, s, d)).astype(np.float32)
  neg = rng.normal(size=(g, k, d)).astype(np.float32)
  mask = (rng.random((g, s, k)) >= masked_fraction).astype(np.float32)
  return u, pos, neg, mask


def test_one_group_of_two_pairs_by_hand():
  # G = 1 group of S = 2 pairs sharing K = 2 negatives, D = 3; the second
  # pair's first negative is masked (it would be its context word).
  u = np.array([[[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]]])
  pos = np.array([[[0.2, 0.4, -0.6], [-1.0, 0.3, 0.8]]])
  neg = np.array([[[0.7, -0.2, 0.1], [-0.3, 0.9, 0.5]]])
  mask = np.array([[[1.0, 1.0], [0.0, 1.0]]])

  sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))
  log_sigmoid = lambda x: -np.log1p(np.exp(-x))
  loss = np.zeros((1, 2))
  grad_u = np.zeros((1, 2, 3))
  grad_pos = np.zeros((1, 2, 3))
  grad_neg = np.zeros((1, 2, 3))
  for s in range(2):
    a = u[0, s] @ pos[0, s]
    loss[0, s] = -log_sigmoid(a)
    grad_u[0, s] += (sigmoid(a) - 1.0) * pos[0, s]
    grad_pos[0, s] = (sigmoid(a) - 1.0) * u[0, s]
    for k in range(2):
      if not mask[0, s, k]:
        continue
      b = u[0, s] @ neg[0, k]
      loss[0, s] -= log_sigmoid(-b)
      grad_u[0, s] += sigmoid(b) * neg[0, k]
      grad_neg[0, k] += sigmoid(b) * u[0, s]
  # One value written out in full: pair 2 has only its second negative.
  a, b = u[0, 1] @ pos[0, 1], u[0, 1] @ neg[0, 1]
  assert loss[0, 1] == pytest.approx(
      np.log(1 + np.exp(-a)) + np.log(1 + np.exp(b)), rel=1e-12)

  got = w2v_loss.sgns_terms(*(jnp.asarray(x, jnp.float32)
                              for x in (u, pos, neg, mask)))
  for name, g, want in zip(("loss", "grad_u", "grad_positive",
                            "grad_negatives"), got,
                           (loss, grad_u, grad_pos, grad_neg)):
    assert g.shape == want.shape, name
    np.testing.assert_allclose(np.asarray(g), want, rtol=1e-5, atol=1e-6,
                               err_msg=name)


@pytest.mark.parametrize("s", [1, 4])
def test_gradients_are_those_of_the_summed_loss(s):
  u, pos, neg, mask = _random_inputs(s, g=3, s=s, k=5, d=6)
  loss, grad_u, grad_pos, grad_neg = w2v_loss.sgns_terms(u, pos, neg, mask)
  assert loss.shape == (3, s)
  summed = lambda a, b, c: jnp.sum(w2v_loss.sgns_terms(a, b, c, mask)[0])
  want = jax.grad(summed, argnums=(0, 1, 2))(u, pos, neg)
  for name, g, w in zip(("u", "positive", "negatives"),
                        (grad_u, grad_pos, grad_neg), want):
    assert g.shape == w.shape, name
    np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5,
                               atol=1e-6, err_msg=name)
  # And the loss itself is SGNS's, written directly.
  direct = (-jax.nn.log_sigmoid(jnp.sum(u * pos, -1))
            - jnp.sum(mask * jax.nn.log_sigmoid(
                -jnp.einsum("gsd,gkd->gsk", u, neg)), -1))
  np.testing.assert_allclose(np.asarray(loss), np.asarray(direct), rtol=1e-5,
                             atol=1e-6)


def test_grouped_pairs_equal_pairs_given_their_groups_negatives():
  g, s, k, d = 3, 4, 5, 6
  u, pos, neg, mask = _random_inputs(7, g=g, s=s, k=k, d=d)
  grouped = w2v_loss.sgns_terms(u, pos, neg, mask)
  single = w2v_loss.sgns_terms(
      u.reshape(g * s, 1, d), pos.reshape(g * s, 1, d),
      np.repeat(neg, s, axis=0), mask.reshape(g * s, 1, k))
  for i, name in enumerate(("loss", "grad_u", "grad_positive")):
    np.testing.assert_allclose(
        np.asarray(grouped[i]).reshape(-1),
        np.asarray(single[i]).reshape(-1), rtol=1e-5, atol=1e-6,
        err_msg=name)
  # A group's negatives receive the sum of its pairs' gradients.
  np.testing.assert_allclose(
      np.asarray(grouped[3]),
      np.asarray(single[3]).reshape(g, s, k, d).sum(axis=1), rtol=1e-5,
      atol=1e-6)


@pytest.mark.parametrize("s", [1, 3])
def test_a_masked_negative_is_exactly_absent(s):
  g, k, d = 2, 4, 5
  u, pos, neg, _ = _random_inputs(11, g=g, s=s, k=k, d=d)
  mask = np.ones((g, s, k), np.float32)
  mask[:, :, 2] = 0.0      # negative 2 of every group, for all its pairs
  loss, grad_u, grad_pos, grad_neg = w2v_loss.sgns_terms(u, pos, neg, mask)
  keep = [0, 1, 3]
  loss_r, grad_u_r, grad_pos_r, grad_neg_r = w2v_loss.sgns_terms(
      u, pos, neg[:, keep], mask[:, :, keep])
  np.testing.assert_allclose(np.asarray(loss), np.asarray(loss_r), rtol=1e-6)
  np.testing.assert_allclose(np.asarray(grad_u), np.asarray(grad_u_r),
                             rtol=1e-6, atol=1e-7)
  np.testing.assert_allclose(np.asarray(grad_pos), np.asarray(grad_pos_r),
                             rtol=1e-6, atol=1e-7)
  np.testing.assert_allclose(np.asarray(grad_neg)[:, keep],
                             np.asarray(grad_neg_r), rtol=1e-6, atol=1e-7)
  np.testing.assert_array_equal(np.asarray(grad_neg)[:, 2], 0.0)
  # Unmasked, the term is there: the loss is larger by -log sigmoid(-u.n).
  full = w2v_loss.sgns_terms(u, pos, neg, np.ones_like(mask))[0]
  term = -jax.nn.log_sigmoid(-jnp.einsum("gsd,gd->gs", u, neg[:, 2]))
  np.testing.assert_allclose(np.asarray(full - loss), np.asarray(term),
                             rtol=1e-5, atol=1e-6)


def test_only_one_pair_masks_its_own_negative():
  # A mask of 0 for one pair leaves the group's other pairs' terms intact.
  g, s, k, d = 1, 2, 3, 4
  u, pos, neg, _ = _random_inputs(3, g=g, s=s, k=k, d=d)
  mask = np.ones((g, s, k), np.float32)
  mask[0, 1, 0] = 0.0
  loss, _, _, grad_neg = w2v_loss.sgns_terms(u, pos, neg, mask)
  full_loss, _, _, _ = w2v_loss.sgns_terms(u, pos, neg, np.ones_like(mask))
  assert loss[0, 0] == pytest.approx(float(full_loss[0, 0]), rel=1e-6)
  assert loss[0, 1] < full_loss[0, 1]
  sig = jax.nn.sigmoid(jnp.dot(u[0, 0], neg[0, 0]))
  np.testing.assert_allclose(np.asarray(grad_neg[0, 0]),
                             np.asarray(sig * u[0, 0]), rtol=1e-5, atol=1e-6)
