"""Retrieval with binary codes: Hamming ranking, precision, mAP, PR curves.

The evaluation protocol of semantic hashing (Salakhutdinov & Hinton 2009,
"Semantic hashing", Int. J. Approximate Reasoning 50(7)): queries rank a
database by the Hamming distance between their codes; a database item is
relevant to a query when both have the same label. Two data-independent or
linear baselines give codes of the same length: PCA hashing (the signs of
the top principal-component projections) and locality-sensitive hashing by
random hyperplanes (Charikar 2002, "Similarity estimation techniques from
rounding algorithms", STOC).

The metrics are pure numpy on the host (they sort, which is cheap on the CPU
for thousands of items and exact); the two baselines use JAX (`jnp.linalg.svd`
and `jax.random`) and return numpy arrays.

Ties: items at equal distance are ranked by their database index (a stable
argsort), so every metric is a deterministic function of its inputs.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

_QUERY_CHUNK = 256  # Queries per chunk of the full-ranking computations.


def hamming_distances(query_bits: np.ndarray, db_bits: np.ndarray) -> np.ndarray:
  """Number of differing bits between every query and every database code.

  Computed as `|q| + |d| - 2 q.d` with one float32 matrix product (exact: the
  counts are integers far below 2^24).

  Args:
    query_bits: `[Q, B]` codes of 0/1 (bool or any numeric dtype).
    db_bits: `[N, B]` codes of 0/1.

  Returns:
    `[Q, N]` int32 distances in [0, B].
  """
  q = np.asarray(query_bits).astype(np.float32)
  d = np.asarray(db_bits).astype(np.float32)
  if q.ndim != 2 or d.ndim != 2 or q.shape[1] != d.shape[1]:
    raise ValueError(f"codes must be [Q, B] and [N, B], got {q.shape} and "
                     f"{d.shape}")
  dist = q.sum(1)[:, None] + d.sum(1)[None, :] - 2.0 * (q @ d.T)
  return np.rint(dist).astype(np.int32)


def _relevance(dist, query_labels, db_labels):
  dist = np.asarray(dist)
  query_labels = np.asarray(query_labels).reshape(-1)
  db_labels = np.asarray(db_labels).reshape(-1)
  if dist.shape != (len(query_labels), len(db_labels)):
    raise ValueError(f"distances {dist.shape} do not match {len(query_labels)}"
                     f" query and {len(db_labels)} database labels")
  return dist, query_labels, db_labels


def _ranked_relevance(dist, query_labels, db_labels, k=None):
  """`[Q, k]` bool: is the i-th ranked item relevant (stable ranking)."""
  order = np.argsort(dist, axis=1, kind="stable")
  if k is not None:
    order = order[:, :k]
  return db_labels[order] == query_labels[:, None]


def precision_at_k(dist: np.ndarray, query_labels: np.ndarray,
                   db_labels: np.ndarray, k: int) -> float:
  """Mean over queries of the fraction of relevant items among the top k.

  Args:
    dist: `[Q, N]` distances (smaller is closer).
    query_labels: `[Q]` labels.
    db_labels: `[N]` labels.
    k: how many of the ranked items count, 1 <= k <= N. Ties at the k-th
      place are cut by database index.

  Returns:
    precision@k averaged over the Q queries.
  """
  dist, query_labels, db_labels = _relevance(dist, query_labels, db_labels)
  if not 1 <= k <= dist.shape[1]:
    raise ValueError(f"k={k} must be in [1, {dist.shape[1]}]")
  total = 0.0
  for s in range(0, len(dist), _QUERY_CHUNK):
    part = slice(s, s + _QUERY_CHUNK)
    total += float(_ranked_relevance(dist[part], query_labels[part],
                                     db_labels, k).sum())
  return total / (k * max(len(dist), 1))


def mean_average_precision(dist: np.ndarray, query_labels: np.ndarray,
                           db_labels: np.ndarray) -> float:
  """Mean over queries of the average precision of the full ranking.

  AP of one query = (1 / R) sum over the ranks i of its R relevant items of
  precision@i. Queries with no relevant item (R = 0) have no AP and are left
  out of the mean; 0.0 is returned if every query is such.

  Args:
    dist: `[Q, N]` distances.
    query_labels: `[Q]` labels.
    db_labels: `[N]` labels.

  Returns:
    mAP in [0, 1].
  """
  dist, query_labels, db_labels = _relevance(dist, query_labels, db_labels)
  ranks = np.arange(1, dist.shape[1] + 1, dtype=np.float64)
  total, counted = 0.0, 0
  for s in range(0, len(dist), _QUERY_CHUNK):
    part = slice(s, s + _QUERY_CHUNK)
    rel = _ranked_relevance(dist[part], query_labels[part], db_labels)
    num_rel = rel.sum(1)
    hits = np.cumsum(rel, axis=1) / ranks
    ap = np.where(rel, hits, 0.0).sum(1)
    has = num_rel > 0
    total += float(np.sum(ap[has] / num_rel[has]))
    counted += int(has.sum())
  return total / counted if counted else 0.0


class PRCurve(NamedTuple):
  """Precision and recall of Hamming-ball retrieval, one entry per radius.

  Attributes:
    radius: `[R + 1]` radii 0..R; the ball of radius r retrieves every
      database item at distance <= r.
    precision: `[R + 1]` mean over queries that retrieve at least one item
      of (relevant retrieved) / (retrieved); NaN where no query retrieves
      anything (precision of an empty set is undefined, not 0 or 1).
    recall: `[R + 1]` mean over queries with at least one relevant item of
      (relevant retrieved) / (relevant).
    retrieved_fraction: `[R + 1]` mean fraction of the database retrieved.
  """
  radius: np.ndarray
  precision: np.ndarray
  recall: np.ndarray
  retrieved_fraction: np.ndarray


def precision_recall_curve(dist: np.ndarray, query_labels: np.ndarray,
                           db_labels: np.ndarray, *,
                           max_radius: int | None = None) -> PRCurve:
  """Precision/recall of retrieval within Hamming radius 0..max_radius.

  Args:
    dist: `[Q, N]` non-negative integer distances.
    query_labels: `[Q]` labels.
    db_labels: `[N]` labels.
    max_radius: last radius, normally the code length B (so that the last
      point retrieves everything: recall 1); default the largest distance.

  Returns:
    A `PRCurve` with `max_radius + 1` points.
  """
  dist, query_labels, db_labels = _relevance(dist, query_labels, db_labels)
  dist = dist.astype(np.int64)
  if dist.size and dist.min() < 0:
    raise ValueError("distances must be non-negative integers")
  top = int(dist.max(initial=0)) if max_radius is None else int(max_radius)
  q, n = dist.shape
  # Per query, histogram of items (and of relevant items) over the distances;
  # cumulative sums give the counts inside each ball.
  width = top + 2                               # last bin: beyond max_radius
  flat = np.minimum(dist, top + 1) + width * np.arange(q)[:, None]
  rel = db_labels[None, :] == query_labels[:, None]
  count = np.bincount(flat.ravel(), minlength=q * width).reshape(q, width)
  hits = np.bincount(flat.ravel(), weights=rel.ravel().astype(np.float64),
                     minlength=q * width).reshape(q, width)
  retrieved = np.cumsum(count, axis=1)[:, :top + 1].astype(np.float64)
  relevant_retrieved = np.cumsum(hits, axis=1)[:, :top + 1]
  num_rel = rel.sum(1).astype(np.float64)
  nonempty = retrieved > 0
  per_query = np.divide(relevant_retrieved, retrieved,
                        out=np.zeros_like(retrieved), where=nonempty)
  num_nonempty = nonempty.sum(0)
  precision = np.where(num_nonempty > 0,
                       per_query.sum(0) / np.maximum(num_nonempty, 1), np.nan)
  has_rel = num_rel > 0
  recall = (relevant_retrieved[has_rel] / num_rel[has_rel, None]).sum(0) / max(
      int(has_rel.sum()), 1)
  return PRCurve(radius=np.arange(top + 1), precision=precision,
                 recall=recall,
                 retrieved_fraction=retrieved.sum(0) / max(q * n, 1))


def _flat(x) -> jax.Array:
  x = jnp.asarray(x, jnp.float32)
  return x.reshape(x.shape[0], -1)


def pca_hash(train_x: np.ndarray, x: np.ndarray, bits: int) -> np.ndarray:
  """Signs of the projections on the top principal components of `train_x`.

  Args:
    train_x: `[N, ...]` data the mean and components are estimated on.
    x: `[M, ...]` data to hash (same trailing shape).
    bits: number of components B, at most min(N, D).

  Returns:
    `[M, B]` uint8 codes: bit j is 1 iff the centred projection on the j-th
    principal component is positive.
  """
  train, data = _flat(train_x), _flat(x)
  if not 1 <= bits <= min(train.shape):
    raise ValueError(f"bits={bits} must be in [1, {min(train.shape)}]")
  mean = jnp.mean(train, axis=0)
  _, _, vt = jnp.linalg.svd(train - mean, full_matrices=False)
  proj = (data - mean) @ vt[:bits].T
  return np.asarray(proj > 0, dtype=np.uint8)


def lsh_hash(key: jax.Array, train_x: np.ndarray, x: np.ndarray,
             bits: int) -> np.ndarray:
  """Random-hyperplane LSH of centred data (Charikar 2002).

  Args:
    key: PRNG key of the Gaussian hyperplanes; same key, same hash function.
    train_x: `[N, ...]` data whose mean centres `x`.
    x: `[M, ...]` data to hash.
    bits: number of hyperplanes B >= 1.

  Returns:
    `[M, B]` uint8 codes: bit j is 1 iff `(x - mean) . w_j > 0` with
    `w_j ~ N(0, I)`.
  """
  if bits < 1:
    raise ValueError(f"bits={bits} must be >= 1")
  train, data = _flat(train_x), _flat(x)
  w = jax.random.normal(key, (train.shape[1], bits), jnp.float32)
  proj = (data - jnp.mean(train, axis=0)) @ w
  return np.asarray(proj > 0, dtype=np.uint8)
