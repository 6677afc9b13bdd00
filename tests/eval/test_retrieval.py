"""Hamming retrieval metrics and hashing baselines against plain-loop references."""

import math

import jax
import numpy as np
import pytest

from unsup_jax.eval import retrieval


def _ranking(row):
  """Database indices by (distance, index): the documented tie-break."""
  return sorted(range(len(row)), key=lambda j: (row[j], j))


def _ref_precision_at_k(dist, ql, dl, k):
  total = 0.0
  for q in range(len(dist)):
    top = _ranking(list(dist[q]))[:k]
    total += sum(1 for j in top if dl[j] == ql[q]) / k
  return total / len(dist)


def _ref_map(dist, ql, dl):
  aps = []
  for q in range(len(dist)):
    hits, precisions = 0, []
    for i, j in enumerate(_ranking(list(dist[q]))):
      if dl[j] == ql[q]:
        hits += 1
        precisions.append(hits / (i + 1))
    if hits:
      aps.append(sum(precisions) / hits)
  return sum(aps) / len(aps) if aps else 0.0


def _random_case(seed, q=13, n=40, bits=6, classes=3):
  rng = np.random.default_rng(seed)
  qb = rng.integers(0, 2, (q, bits))
  db = rng.integers(0, 2, (n, bits))
  return qb, db, rng.integers(0, classes, q), rng.integers(0, classes, n)


def test_hamming_distances_equal_a_bit_count():
  qb, db, _, _ = _random_case(0, bits=37)
  dist = retrieval.hamming_distances(qb.astype(bool), db.astype(np.uint8))
  assert dist.dtype == np.int32 and dist.shape == (len(qb), len(db))
  for i in range(len(qb)):
    for j in range(len(db)):
      assert dist[i, j] == sum(int(a != b) for a, b in zip(qb[i], db[j]))


def test_tiny_case_by_hand():
  # Ranking 0, 1, 2, 3 (items 1 and 2 tie; index order); relevant 1, 0, 1, 1.
  dist = np.array([[0, 1, 1, 2]])
  ql, dl = np.array([0]), np.array([0, 1, 0, 0])
  assert retrieval.precision_at_k(dist, ql, dl, 1) == 1.0
  assert retrieval.precision_at_k(dist, ql, dl, 2) == 0.5
  assert retrieval.precision_at_k(dist, ql, dl, 3) == pytest.approx(2 / 3)
  # AP = (1/1 + 2/3 + 3/4) / 3.
  assert retrieval.mean_average_precision(dist, ql, dl) == pytest.approx(
      29 / 36)
  # The same ranking with the tie resolved the other way changes p@2.
  swapped = np.array([[0, 1, 1, 2]])[:, [0, 2, 1, 3]]
  assert retrieval.precision_at_k(swapped, ql, dl[[0, 2, 1, 3]], 2) == 1.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_precision_and_map_equal_loop_references(seed):
  qb, db, ql, dl = _random_case(seed)
  dist = retrieval.hamming_distances(qb, db)       # many ties on 6 bits
  for k in (1, 5, 17, 40):
    assert retrieval.precision_at_k(dist, ql, dl, k) == pytest.approx(
        _ref_precision_at_k(dist, ql, dl, k), abs=1e-12)
  ql = ql.copy()
  ql[0] = 99                                       # a query with no relevant item
  assert retrieval.mean_average_precision(dist, ql, dl) == pytest.approx(
      _ref_map(dist, ql, dl), abs=1e-12)


def test_map_is_one_for_a_perfect_ranking_and_k_is_checked():
  dl = np.array([1, 0, 1, 0, 1])
  dist = np.where(dl == 1, 0, 3)[None]
  assert retrieval.mean_average_precision(dist, np.array([1]), dl) == 1.0
  with pytest.raises(ValueError):
    retrieval.precision_at_k(dist, np.array([1]), dl, 6)


def test_precision_recall_curve_equals_loop_reference():
  qb, db, ql, dl = _random_case(4, bits=5)
  dist = retrieval.hamming_distances(qb, db)
  curve = retrieval.precision_recall_curve(dist, ql, dl, max_radius=5)
  np.testing.assert_array_equal(curve.radius, np.arange(6))
  for r in range(6):
    ps, rs, fr = [], [], []
    for q in range(len(dist)):
      got = [j for j in range(len(dl)) if dist[q, j] <= r]
      good = sum(1 for j in got if dl[j] == ql[q])
      relevant = sum(1 for j in range(len(dl)) if dl[j] == ql[q])
      fr.append(len(got) / len(dl))
      if got:
        ps.append(good / len(got))
      if relevant:
        rs.append(good / relevant)
    want_p = sum(ps) / len(ps) if ps else math.nan
    np.testing.assert_allclose(curve.precision[r], want_p, rtol=1e-12)
    np.testing.assert_allclose(curve.recall[r], sum(rs) / len(rs), rtol=1e-12)
    np.testing.assert_allclose(curve.retrieved_fraction[r], np.mean(fr))
  # Radius B retrieves everything: recall 1, precision = relevant fraction.
  assert curve.recall[-1] == pytest.approx(1.0)
  assert curve.retrieved_fraction[-1] == 1.0
  assert curve.precision[-1] == pytest.approx(
      np.mean([np.mean(dl == l) for l in ql]))
  assert np.all(np.diff(curve.recall) >= 0)


def test_precision_is_nan_where_nothing_is_retrieved():
  dist = np.array([[2, 3], [4, 2]])
  curve = retrieval.precision_recall_curve(dist, np.array([0, 1]),
                                           np.array([1, 0]), max_radius=4)
  # Radius 2: each query retrieves one wrong item; 3: query 0 also gets its
  # relevant item (1/2), query 1 not (0/1); 4: both 1/2.
  assert np.isnan(curve.precision[:2]).all()
  np.testing.assert_allclose(curve.precision[2:], [0.0, 0.25, 0.5])
  np.testing.assert_allclose(curve.recall, [0, 0, 0, 0.5, 1])


def _data(seed=0, n=300, d=20):
  rng = np.random.default_rng(seed)
  return (rng.normal(size=(n, d)) * np.linspace(3, 0.1, d) + 1.5).astype(
      np.float32).reshape(n, 4, 5, 1)


def test_pca_hash_is_the_sign_of_principal_projections():
  train, x = _data(0), _data(1, n=50)
  codes = retrieval.pca_hash(train, x, 7)
  assert codes.shape == (50, 7) and set(np.unique(codes)) <= {0, 1}
  flat = train.reshape(len(train), -1).astype(np.float64)
  _, _, vt = np.linalg.svd(flat - flat.mean(0), full_matrices=False)
  proj = (x.reshape(len(x), -1) - flat.mean(0)) @ vt[:7].T
  ref = (proj > 0).astype(np.uint8)
  # Components are defined up to sign: each column equals ref or its flip.
  for j in range(7):
    assert (np.array_equal(codes[:, j], ref[:, j]) or
            np.array_equal(codes[:, j], 1 - ref[:, j]))
  with pytest.raises(ValueError):
    retrieval.pca_hash(train, x, 21)


def test_lsh_is_deterministic_in_the_key_and_binary():
  train, x = _data(0), _data(1, n=50)
  a = retrieval.lsh_hash(jax.random.key(0), train, x, 16)
  b = retrieval.lsh_hash(jax.random.key(0), train, x, 16)
  c = retrieval.lsh_hash(jax.random.key(1), train, x, 16)
  assert a.shape == (50, 16) and a.dtype == np.uint8
  assert set(np.unique(a)) == {0, 1}
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)


def test_lsh_collision_rate_is_the_angle_over_pi():
  """Charikar (2002): P(bit differs) = angle(u, v) / pi for centred data."""
  theta = 1.0
  u = np.array([1.0, 0.0, 0.0])
  v = np.array([np.cos(theta), np.sin(theta), 0.0])
  train = np.stack([u, -u, v, -v]).astype(np.float32)   # mean zero
  codes = retrieval.lsh_hash(jax.random.key(3), train, np.stack([u, v]), 20000)
  rate = np.mean(codes[0] != codes[1])
  assert rate == pytest.approx(theta / np.pi, abs=0.015)
