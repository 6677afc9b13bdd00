"""Principal component analysis, in closed form and from streamed batches.

Pearson (1901), "On lines and planes of closest fit to systems of points in
space", Phil. Mag. 2(11); Hotelling (1933), "Analysis of a complex of
statistical variables into principal components", J. Educ. Psychol. 24.

The principal axes of data `x [N, D]` are the right singular vectors of the
centred data (`fit`), or equivalently the eigenvectors of its covariance
(`fit_from_covariance`, which needs only streamed sums). Variances use the
unbiased `N - 1` denominator, as scikit-learn does. Each component's sign is
fixed so that its largest-magnitude loading is positive, so two fits of the
same data give the same components.

The streamed covariance is merged batch by batch from per-batch means and
centred scatter matrices (Chan, Golub & LeVeque 1979), which avoids the
cancellation of the raw `sum x x^T - N mean mean^T` form in float32.
"""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp


class PCAState(NamedTuple):
  """A fitted PCA.

  Attributes:
    mean: `[D]` training mean.
    components: `[K, D]` principal axes, orthonormal rows, by decreasing
      variance.
    explained_variance: `[K]` variance of the data along each axis (N - 1).
    explained_variance_ratio: `[K]` fraction of the total variance per axis.
    total_variance: `[]` trace of the covariance (sum over all D axes).
    num_examples: `[]` number of training examples N.
  """
  mean: jax.Array
  components: jax.Array
  explained_variance: jax.Array
  explained_variance_ratio: jax.Array
  total_variance: jax.Array
  num_examples: jax.Array


class CovarianceAccumulator(NamedTuple):
  """Streamed first and second moments.

  Attributes:
    count: `[]` int32 examples seen.
    mean: `[D]` running mean.
    scatter: `[D, D]` sum of outer products of deviations from `mean`.
  """
  count: jax.Array
  mean: jax.Array
  scatter: jax.Array


def _fix_signs(components: jax.Array) -> jax.Array:
  """Flips rows of `[K, D]` so each row's largest-|loading| entry is > 0."""
  idx = jnp.argmax(jnp.abs(components), axis=1)
  pivot = jnp.take_along_axis(components, idx[:, None], axis=1)
  return components * jnp.where(pivot < 0, -1.0, 1.0).astype(components.dtype)


def _check_k(num_components: int, n: int, d: int) -> None:
  if not 1 <= num_components <= min(n, d):
    raise ValueError(f"num_components must be in [1, min(N, D) = "
                     f"{min(n, d)}], got {num_components}")


def _state(mean, components, variances, total, n) -> PCAState:
  """Assembles a state from `[K, D]` axes and their `[K]` variances."""
  ratio = variances / jnp.maximum(total, jnp.finfo(total.dtype).tiny)
  return PCAState(mean=mean, components=_fix_signs(components),
                  explained_variance=variances,
                  explained_variance_ratio=ratio, total_variance=total,
                  num_examples=jnp.asarray(n, jnp.int32))


@functools.partial(jax.jit, static_argnames="num_components")
def _fit(x: jax.Array, num_components: int) -> PCAState:
  n = x.shape[0]
  mean = jnp.mean(x, axis=0)
  centred = x - mean
  _, s, vt = jnp.linalg.svd(centred, full_matrices=False)
  variances = s**2 / max(n - 1, 1)
  return _state(mean, vt[:num_components], variances[:num_components],
                jnp.sum(variances), n)


def fit(x: jax.Array, num_components: int) -> PCAState:
  """PCA of `x` by the SVD of the centred data.

  Args:
    x: `[N, D]` data, N >= 2.
    num_components: K, 1 <= K <= min(N, D).

  Returns:
    The fitted `PCAState` with K components.
  """
  x = jnp.asarray(x)
  if x.ndim != 2 or x.shape[0] < 2:
    raise ValueError(f"fit needs [N, D] data with N >= 2, got {x.shape}")
  _check_k(num_components, *x.shape)
  return _fit(x, num_components)


def covariance_init(dim: int, dtype=jnp.float32) -> CovarianceAccumulator:
  """An empty accumulator for `dim`-dimensional data."""
  return CovarianceAccumulator(count=jnp.zeros((), jnp.int32),
                               mean=jnp.zeros((dim,), dtype),
                               scatter=jnp.zeros((dim, dim), dtype))


@jax.jit
def _update(acc: CovarianceAccumulator,
            batch: jax.Array) -> CovarianceAccumulator:
  n_b = batch.shape[0]
  mean_b = jnp.mean(batch, axis=0)
  dev = batch - mean_b
  scatter_b = dev.T @ dev
  n_a = acc.count.astype(acc.mean.dtype)
  n = n_a + n_b
  delta = mean_b - acc.mean
  mean = acc.mean + delta * (n_b / n)
  scatter = acc.scatter + scatter_b + jnp.outer(delta, delta) * (n_a * n_b / n)
  return CovarianceAccumulator(acc.count + n_b, mean, scatter)


def covariance_update(acc: CovarianceAccumulator,
                      batch: jax.Array) -> CovarianceAccumulator:
  """Adds a batch to the accumulator (Chan et al. pairwise merge).

  Args:
    acc: the accumulator so far.
    batch: `[B, D]` examples; B = 0 leaves `acc` unchanged.

  Returns:
    The accumulator over all examples seen, including `batch`.
  """
  batch = jnp.asarray(batch, acc.mean.dtype)
  if batch.ndim != 2 or batch.shape[1] != acc.mean.shape[0]:
    raise ValueError(f"batch must be [B, {acc.mean.shape[0]}], got "
                     f"{batch.shape}")
  if batch.shape[0] == 0:
    return acc
  return _update(acc, batch)


@functools.partial(jax.jit, static_argnames="num_components")
def _fit_cov(acc: CovarianceAccumulator, num_components: int) -> PCAState:
  n = acc.count
  cov = acc.scatter / jnp.maximum(n - 1, 1).astype(acc.scatter.dtype)
  cov = 0.5 * (cov + cov.T)
  eigvals, eigvecs = jnp.linalg.eigh(cov)              # ascending
  order = jnp.argsort(-eigvals)[:num_components]
  variances = jnp.maximum(eigvals[order], 0.0)
  return _state(acc.mean, eigvecs[:, order].T, variances, jnp.trace(cov), n)


def fit_from_covariance(acc: CovarianceAccumulator,
                        num_components: int) -> PCAState:
  """PCA from streamed moments, by eigendecomposition of the covariance.

  Args:
    acc: an accumulator that has seen N >= 2 examples.
    num_components: K, 1 <= K <= min(N, D).

  Returns:
    The fitted `PCAState`; equal to `fit` on the concatenated batches up to
    rounding (and the usual ambiguity among equal variances).
  """
  n, d = int(acc.count), acc.mean.shape[0]
  if n < 2:
    raise ValueError(f"fit_from_covariance needs >= 2 examples, got {n}")
  _check_k(num_components, n, d)
  return _fit_cov(acc, num_components)


def truncate(state: PCAState, k: int) -> PCAState:
  """The same PCA keeping only its first `k` components."""
  if not 1 <= k <= state.components.shape[0]:
    raise ValueError(f"k must be in [1, {state.components.shape[0]}], got {k}")
  return state._replace(
      components=state.components[:k],
      explained_variance=state.explained_variance[:k],
      explained_variance_ratio=state.explained_variance_ratio[:k])


@jax.jit
def transform(state: PCAState, x: jax.Array) -> jax.Array:
  """Codes `[N, K]` of data `x [N, D]`: coordinates along the components."""
  return (x - state.mean) @ state.components.T


@jax.jit
def inverse_transform(state: PCAState, z: jax.Array) -> jax.Array:
  """Data `[N, D]` at codes `z [N, K]`: the mean plus the components' span."""
  return z @ state.components + state.mean


def reconstruct(state: PCAState, x: jax.Array) -> jax.Array:
  """Orthogonal projection `[N, D]` of `x [N, D]` onto the principal affine
  subspace."""
  return inverse_transform(state, transform(state, x))
