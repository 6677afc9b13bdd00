"""Label spreading over a k-nearest-neighbour graph of codes, and the vote
that classifies new codes with it: label propagation's classifier (on PCA
codes, `label_propagation.py`) and M1's (on the VAE's posterior means,
`semi_supervised.py`).

Zhou, Bousquet, Lal, Weston & Schölkopf (2004), "Learning with Local and
Global Consistency", NIPS 16, as scikit-learn's `LabelSpreading` (knn
kernel): labels spread over the graph linking each used row to its
`neighbours` nearest, each row keeping `1 - alpha` of its own label. A new
code takes the class with the largest summed label distribution among its
`neighbours` nearest used rows (`LabelSpreading.predict`'s rule).
"""

import numpy as np

# Codes compared with the training rows at once in `vote`.
_CHUNK = 500


def spread(codes, labels, labelled, used, *, num_classes: int,
           neighbours: int, alpha: float, max_iter: int) -> np.ndarray:
  """`[N, K]` label distributions of the rows of `codes` `[N, D]` after
  spreading the `labels` `[N]` of the `labelled` rows over the graph of
  the `used` rows (both index arrays; the labelled among the used). Rows
  not used get zeros."""
  from sklearn.semi_supervised import LabelSpreading  # pylint: disable=g-import-not-at-top
  targets = np.full(len(codes), -1)
  targets[labelled] = np.asarray(labels)[labelled]
  model = LabelSpreading(kernel="knn", n_neighbors=neighbours, alpha=alpha,
                         max_iter=max_iter)
  model.fit(np.asarray(codes)[used], targets[used])
  out = np.zeros((len(codes), num_classes), np.float32)
  out[np.ix_(used, model.classes_)] = model.label_distributions_
  return out


def vote(train_codes, distributions, used, codes, *,
         neighbours: int) -> np.ndarray:
  """`[M]` classes of `codes` `[M, D]`: the largest summed label
  distribution among each code's `neighbours` nearest `used` rows (a
  `[N]` mask) of `train_codes` `[N, D]` (squared Euclidean distance; ties
  to the lower row)."""
  rows = np.flatnonzero(np.asarray(used))
  train = np.asarray(train_codes, np.float64)[rows]
  dist = np.asarray(distributions)[rows]
  codes = np.asarray(codes, np.float64)
  out = []
  for start in range(0, len(codes), _CHUNK):
    c = codes[start:start + _CHUNK]
    d2 = (np.sum(c * c, 1)[:, None] - 2 * c @ train.T +
          np.sum(train * train, 1)[None])
    nearest = np.argsort(d2, axis=1, kind="stable")[:, :neighbours]
    out.append(np.argmax(dist[nearest].sum(1), axis=1))
  return np.concatenate(out) if out else np.zeros((0,), np.int64)
