"""Manifold clustering: a UMAP embedding, then a Gaussian mixture on it.

What N2D (McConville et al. 2020, "N2D: (Not Too) Deep Clustering via
Clustering the Local Manifold of an Autoencoded Embedding", ICPR) does to
an autoencoder's codes, and what the clustering study's shallow baseline
does to raw pixels. UMAP (McInnes et al. 2018) is the `umap-learn`
package's; the mixture is scikit-learn's full-covariance
`GaussianMixture`, as in N2D's reference setting (20 neighbours, as many
dimensions as clusters, minimum distance 0). Both are seeded, so a fit is
a pure function of its inputs and `seed` (one thread: umap-learn's
parallel path is not deterministic).

Test points are assigned inductively without refitting: each takes the
cluster most common among its `test_neighbors` nearest training points in
the space that was embedded (`assign_by_neighbours`).
"""

from typing import NamedTuple
import warnings

import numpy as np


class ManifoldFit(NamedTuple):
  """`embedding` `[N, d]` of the training points, their `clusters` `[N]`,
  `probabilities` `[N, K]` of the mixture's components and the mixture's
  `means` `[K, d]` in the embedding."""
  embedding: np.ndarray
  clusters: np.ndarray
  probabilities: np.ndarray
  means: np.ndarray


def umap_embed(x: np.ndarray, *, dims: int, neighbors: int,
               min_dist: float, seed: int) -> np.ndarray:
  """`[N, dims]` UMAP embedding of the rows of `x` `[N, D]`."""
  import umap  # pylint: disable=g-import-not-at-top  (slow to import)
  x = np.asarray(x, np.float32).reshape(len(x), -1)
  with warnings.catch_warnings():
    # "n_jobs overridden to 1 by setting random_state": intended.
    warnings.filterwarnings("ignore", message=".*n_jobs.*", category=UserWarning)
    reducer = umap.UMAP(n_components=dims, n_neighbors=neighbors,
                        min_dist=min_dist, random_state=seed, n_jobs=1)
    return np.asarray(reducer.fit_transform(x), np.float64)


def gmm_fit(embedding: np.ndarray, *, num_clusters: int, seed: int,
            covariance: str = "full") -> ManifoldFit:
  """A `num_clusters`-component Gaussian mixture (EM from k-means, the
  best of 5 starts) fitted to `embedding` `[N, d]`."""
  from sklearn.mixture import GaussianMixture  # pylint: disable=g-import-not-at-top
  gmm = GaussianMixture(num_clusters, covariance_type=covariance, n_init=5,
                        random_state=seed).fit(embedding)
  probs = gmm.predict_proba(embedding)
  return ManifoldFit(embedding, np.argmax(probs, axis=1).astype(np.int32),
                     probs, gmm.means_)


def umap_gmm(x: np.ndarray, *, num_clusters: int, dims: int, neighbors: int,
             min_dist: float, seed: int) -> ManifoldFit:
  """UMAP of `x` `[N, ...]`, then the mixture on the embedding."""
  emb = umap_embed(x, dims=dims, neighbors=neighbors, min_dist=min_dist,
                   seed=seed)
  return gmm_fit(emb, num_clusters=num_clusters, seed=seed)


def assign_by_neighbours(train_x: np.ndarray, train_clusters: np.ndarray,
                         x: np.ndarray, *, k: int,
                         num_clusters: int) -> np.ndarray:
  """`[M]` the cluster of each row of `x` `[M, ...]`: the most common
  among its `k` nearest rows of `train_x` `[N, ...]` (Euclidean; ties to
  the nearer neighbour's cluster)."""
  train_x = np.asarray(train_x, np.float64).reshape(len(train_x), -1)
  x = np.asarray(x, np.float64).reshape(len(x), -1)
  out = np.empty(len(x), np.int32)
  sq_train = np.sum(np.square(train_x), axis=1)
  for start in range(0, len(x), 1024):
    part = x[start:start + 1024]
    d2 = (np.sum(np.square(part), axis=1)[:, None] - 2.0 * part @ train_x.T
          + sq_train[None])
    nearest = np.argsort(d2, axis=1, kind="stable")[:, :k]  # [m, k]
    votes = np.asarray(train_clusters)[nearest]
    rows = np.broadcast_to(np.arange(len(part))[:, None], votes.shape)
    counts = np.zeros((len(part), num_clusters), np.int64)
    np.add.at(counts, (rows, votes), 1)
    first = np.full((len(part), num_clusters), k)  # rank of the nearest vote
    np.minimum.at(first, (rows, votes), np.broadcast_to(np.arange(k),
                                                        votes.shape))
    score = counts * (k + 1) - first
    out[start:start + len(part)] = np.argmax(score, axis=1)
  return out
