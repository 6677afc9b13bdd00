"""The clustering study's baselines: k-means, the GMM and spectral
clustering on pixels and on PCA codes, UMAP + GMM on pixels, each fitted on
the training images and assigning the test images."""

import ml_collections
import numpy as np

from unsup_jax.eval import clustering as cluster_eval
from unsup_jax.methods.clustering import shallow


def test_baselines_recover_separated_groups_on_both_splits():
  rng = np.random.default_rng(0)
  centres = rng.random((3, 4, 4, 1)) * 4.0
  labels = np.repeat(np.arange(3), 40)
  test_labels = np.repeat(np.arange(3), 10)
  noise = lambda n: 0.05 * rng.standard_normal((n, 4, 4, 1))
  train = centres[labels] + noise(len(labels))
  test = centres[test_labels] + noise(len(test_labels))
  s = ml_collections.ConfigDict(dict(
      num_clusters=3, restarts=2, pca_components=2, reg_covar=1e-3,
      spectral_neighbors=10, umap_neighbors=10, umap_dims=2,
      test_neighbors=5))
  found = shallow.baselines(train, test, 0, s)
  assert set(found) == set(shallow.BASELINES)
  for row, (train_clusters, test_clusters) in found.items():
    assert cluster_eval.accuracy(train_clusters, labels) == 1.0, row
    assert cluster_eval.accuracy(test_clusters, test_labels) == 1.0, row
    # The test images go to the clusters of their training group.
    mapping = cluster_eval.matching(np.asarray(train_clusters), labels)
    np.testing.assert_array_equal(
        [mapping[int(c)] for c in test_clusters], test_labels)
