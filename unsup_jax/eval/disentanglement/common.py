"""What the disentanglement metrics share: drawing scored points through a
framework-agnostic `representation_fn`, histogram discretisation and the
mutual information of discrete variables.

A `representation_fn` maps numpy observations `[B, ...]` to numpy codes
`[B, D]` (the posterior mean, for a VAE); anything that can do that can be
scored, a PyTorch model included. Points are drawn from a
`data.factors.FactorSampler`, `batch_size` at a time.
"""

from typing import Callable

import numpy as np
import sklearn.metrics

RepresentationFn = Callable[[np.ndarray], np.ndarray]
NUM_BINS = 20          # disentanglement_lib's histogram discretisation
BATCH_SIZE = 64


def codes_of(representation_fn: RepresentationFn,
             images: np.ndarray) -> np.ndarray:
  """`[B, D]` float64 codes; a ValueError naming a wrong shape."""
  codes = np.asarray(representation_fn(images), np.float64)
  if codes.ndim != 2 or len(codes) != len(images):
    raise ValueError(f"representation_fn must map [{len(images)}, ...] "
                     f"observations to [{len(images)}, D] codes, got "
                     f"{codes.shape}")
  return codes


def points(sampler, representation_fn: RepresentationFn, num: int,
           rng: np.random.Generator, batch_size: int = BATCH_SIZE):
  """`num` random points: `(codes [num, D], factors [num, K])`."""
  codes, factors = [], []
  for start in range(0, num, batch_size):
    f, x = sampler.sample(rng, min(batch_size, num - start))
    codes.append(codes_of(representation_fn, x))
    factors.append(f)
  return np.concatenate(codes), np.concatenate(factors)


def train_test_points(sampler, representation_fn: RepresentationFn,
                      num_train: int, num_test: int,
                      rng: np.random.Generator,
                      batch_size: int = BATCH_SIZE):
  """Two independent sets of points (each `(codes, factors)`): one to fit
  a predictor on, one to score it on."""
  return (points(sampler, representation_fn, num_train, rng, batch_size),
          points(sampler, representation_fn, num_test, rng, batch_size))


def discretize(codes: np.ndarray, num_bins: int = NUM_BINS) -> np.ndarray:
  """Each code unit into `num_bins` equal-width bins over its own range
  (`np.histogram`'s edges), as disentanglement_lib does: `[N, D]` ints."""
  out = np.zeros(codes.shape, np.int64)
  for j in range(codes.shape[1]):
    edges = np.histogram(codes[:, j], num_bins)[1]
    out[:, j] = np.digitize(codes[:, j], edges[:-1])
  return out


def mutual_information(codes_d: np.ndarray, factors: np.ndarray
                       ) -> np.ndarray:
  """`[D, K]` mutual information (nats) of each discrete code unit with
  each factor."""
  return np.array([[sklearn.metrics.mutual_info_score(factors[:, k],
                                                      codes_d[:, j])
                    for k in range(factors.shape[1])]
                   for j in range(codes_d.shape[1])])


def entropies(factors: np.ndarray) -> np.ndarray:
  """`[K]` empirical entropy (nats) of each discrete factor."""
  return np.array([sklearn.metrics.mutual_info_score(f, f)
                   for f in factors.T])
