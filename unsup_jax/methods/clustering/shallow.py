"""The shallow clustering baselines of the clustering study, each a
function of the training and test images and a seed that returns the
clusters of both splits:

* k-means (`restarts` k-means++ starts, the lowest inertia kept) and a
  diagonal GMM (EM from the best k-means, `reg_covar` added to every
  variance), `ops/clustering.py`; test images go to the nearest centre,
  the most probable component;
* spectral clustering (Ng et al. 2002; scikit-learn's, on the symmetrised
  `neighbors`-nearest-neighbour graph), test images by their nearest
  training points' clusters;
* UMAP + GMM (`manifold.py`): N2D without its autoencoder, test images
  by their nearest training points' clusters;

each on raw pixels and on the first `pca_components` PCA codes (UMAP on
pixels only, as N2D's own ablation).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.methods.clustering import manifold
from unsup_jax.ops import clustering, pca, quantize

BASELINES = ("kmeans_pixels", "gmm_pixels", "spectral_pixels", "kmeans_pca",
             "gmm_pca", "spectral_pca", "umap_gmm_pixels")


def _flat(images) -> np.ndarray:
  x = np.asarray(images, np.float32)
  return x.reshape(x.shape[0], -1)


@functools.partial(jax.jit, static_argnames=("k", "restarts"))
def _kmeans(key, x, test, *, k, restarts):
  fit = clustering.kmeans(key, x, k, restarts=restarts)
  return fit.labels, quantize.nearest_code(test, fit.centres)


@functools.partial(jax.jit, static_argnames=("k", "restarts"))
def _gmm(key, x, test, reg_covar, *, k, restarts):
  fit = clustering.gmm(key, x, k, covariance="diag", restarts=restarts,
                       reg_covar=reg_covar)
  return clustering.predict(x, fit.gmm), clustering.predict(test, fit.gmm)


def spectral(x: np.ndarray, *, num_clusters: int, neighbors: int,
             seed: int) -> np.ndarray:
  """`[N]` spectral clusters of the rows of `x`."""
  from sklearn.cluster import SpectralClustering  # pylint: disable=g-import-not-at-top
  return SpectralClustering(
      num_clusters, affinity="nearest_neighbors", n_neighbors=neighbors,
      random_state=seed, assign_labels="kmeans").fit_predict(x).astype(
          np.int32)


def by_neighbours(x, clusters, test, *, s) -> tuple:
  return clusters, manifold.assign_by_neighbours(
      x, clusters, test, k=s.test_neighbors, num_clusters=s.num_clusters)


def baselines(train_images, test_images, seed: int, s,
              names=BASELINES) -> dict:
  """`{name: (train clusters, test clusters)}` of the baselines `names`,
  settings from the study's section `s`."""
  x, t = _flat(train_images), _flat(test_images)
  state = pca.fit(jnp.asarray(x), s.pca_components)
  codes = {"pixels": (x, t),
           "pca": tuple(np.asarray(pca.transform(state, jnp.asarray(v)))
                        for v in (x, t))}
  key = jax.random.key(seed)
  out = {}
  for name in names:
    kind, space = name.rsplit("_", 1)
    a, b = codes[space]
    sub_key = jax.random.fold_in(key, BASELINES.index(name))
    if kind == "kmeans":
      got = _kmeans(sub_key, a, b, k=s.num_clusters, restarts=s.restarts)
    elif kind == "gmm":
      got = _gmm(sub_key, a, b, s.reg_covar, k=s.num_clusters,
                 restarts=s.restarts)
    elif kind == "spectral":
      got = by_neighbours(a, spectral(a, num_clusters=s.num_clusters,
                                      neighbors=s.spectral_neighbors,
                                      seed=seed), b, s=s)
    else:  # umap_gmm
      fit = manifold.umap_gmm(a, num_clusters=s.num_clusters,
                              dims=s.umap_dims, neighbors=s.umap_neighbors,
                              min_dist=0.0, seed=seed)
      got = by_neighbours(a, fit.clusters, b, s=s)
    out[name] = tuple(np.asarray(v) for v in jax.device_get(got))
  return out
