"""Properties of the vector-quantisation ops and the VQ losses."""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from unsup_jax.losses import vq
from unsup_jax.ops import quantize


def _data(n=64, k=8, d=5, seed=0):
  kz, kc = jax.random.split(jax.random.key(seed))
  return jax.random.normal(kz, (n, d)), jax.random.normal(kc, (k, d))


def test_distances_and_nearest_match_brute_force():
  z, codebook = _data()
  brute = np.sum((np.asarray(z)[:, None] - np.asarray(codebook)[None]) ** 2,
                 axis=-1)
  np.testing.assert_allclose(quantize.squared_distances(z, codebook), brute,
                             rtol=1e-5, atol=1e-5)
  np.testing.assert_array_equal(quantize.nearest_code(z, codebook),
                                brute.argmin(axis=1))


def test_quantized_vectors_are_codebook_rows():
  z, codebook = _data()
  out = quantize.quantize(z.reshape(4, 16, 5), codebook)
  chex.assert_shape(out["indices"], (4, 16))
  rows = np.asarray(out["quantized"]).reshape(-1, 5)
  cb = np.asarray(codebook)
  for row, idx in zip(rows, np.asarray(out["indices"]).reshape(-1)):
    np.testing.assert_allclose(row, cb[idx], atol=1e-6)
    assert min(np.abs(cb - row).max(axis=1)) < 1e-6


def test_straight_through_gradient_is_identity():
  z, codebook = _data()
  w = jax.random.normal(jax.random.key(3), z.shape)
  f = lambda z: jnp.sum(w * quantize.quantize(z, codebook)["quantized"])
  np.testing.assert_allclose(jax.grad(f)(z), w, rtol=1e-6)


def test_perplexity_bounds():
  k = 16
  uniform = quantize.code_usage(jnp.arange(4 * k) % k, k)
  np.testing.assert_allclose(quantize.perplexity(uniform), k, rtol=1e-5)
  single = quantize.code_usage(jnp.full((50,), 3), k)
  np.testing.assert_allclose(quantize.perplexity(single), 1.0, rtol=1e-6)
  half = quantize.code_usage(jnp.arange(40) % 2, k)
  np.testing.assert_allclose(quantize.perplexity(half), 2.0, rtol=1e-5)


def test_ema_with_fixed_assignments_converges_to_cluster_means():
  z, codebook = _data(n=200, k=4)
  indices = jnp.arange(200) % 3          # code 3 is never used
  state = quantize.ema_init(codebook)
  update = jax.jit(functools.partial(quantize.ema_update, decay=0.9))
  for _ in range(300):
    state = update(state, z, indices)
  for k in range(3):
    np.testing.assert_allclose(state.codebook[k],
                               np.asarray(z)[np.asarray(indices) == k].mean(0),
                               atol=1e-3)
  assert np.all(np.isfinite(state.codebook[3]))   # Laplace smoothing


def test_ema_statistics_under_pmap_equal_single_device():
  n_dev = jax.local_device_count()
  z, codebook = _data(n=8 * n_dev, k=6)
  indices = quantize.nearest_code(z, codebook)
  state = quantize.ema_init(codebook)
  single = quantize.ema_update(state, z, indices)
  rep = jax.tree.map(lambda x: jnp.broadcast_to(x, (n_dev,) + x.shape), state)
  multi = jax.pmap(functools.partial(quantize.ema_update, axis_name="d"),
                   axis_name="d")(rep, z.reshape(n_dev, 8, -1),
                                  indices.reshape(n_dev, 8))
  for i in range(n_dev):
    chex.assert_trees_all_close(jax.tree.map(lambda x, i=i: x[i], multi),
                                single, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("codebook_loss", [True, False])
def test_vq_loss_values_and_gradient_routes(codebook_loss):
  z, codebook = _data()
  def loss(z, codebook):
    codes = quantize.quantize(z, codebook)["codes"]
    return vq.vq_loss(z, codes, beta=0.25, codebook_loss=codebook_loss)
  value, metrics = loss(z, codebook)
  codes = np.asarray(codebook)[np.asarray(quantize.nearest_code(z, codebook))]
  mse = np.mean((np.asarray(z) - codes) ** 2)
  np.testing.assert_allclose(metrics["loss_commit"], mse, rtol=1e-5)
  np.testing.assert_allclose(metrics["loss_codebook"], mse, rtol=1e-5)
  np.testing.assert_allclose(value, (1.0 if codebook_loss else 0.0) * mse
                             + 0.25 * mse, rtol=1e-5)
  gz, gc = jax.grad(lambda z, c: loss(z, c)[0], argnums=(0, 1))(z, codebook)
  # The encoder only feels the commitment term; the codebook only its loss.
  np.testing.assert_allclose(gz, 0.25 * 2 * (np.asarray(z) - codes) / z.size,
                             rtol=1e-4, atol=1e-8)
  assert (np.abs(np.asarray(gc)).sum() > 0) == codebook_loss


def _clusters(num_clusters=8, per_cluster=50, d=3, seed=0, spread=0.05):
  """Well-separated Gaussian blobs: `[C * P, D]` points and `[C, D]` centres."""
  rng = np.random.default_rng(seed)
  centres = rng.normal(size=(num_clusters, d)) * 5.0
  points = (centres[:, None] + spread * rng.normal(
      size=(num_clusters, per_cluster, d))).reshape(-1, d)
  return jnp.asarray(points, jnp.float32), centres


def _match(found, centres):
  """Max distance from each true centre to its nearest found centre."""
  d = np.linalg.norm(np.asarray(found)[None] - centres[:, None], axis=-1)
  return d.min(axis=1).max()


def test_kmeans_recovers_separated_cluster_centres():
  z, centres = _clusters()
  found = jax.jit(quantize.kmeans, static_argnums=2)(jax.random.key(0), z, 8)
  chex.assert_shape(found, (8, 3))
  assert _match(found, centres) < 0.05
  # Each cluster gets its own centre: all eight are used.
  assert len(np.unique(np.asarray(quantize.nearest_code(z, found)))) == 8


def test_kmeans_with_fewer_points_than_codes_stays_finite():
  z = jnp.asarray([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]])
  found = quantize.kmeans(jax.random.key(1), z, 5)
  assert np.all(np.isfinite(found))
  assert {tuple(r) for r in np.asarray(found)} <= {(0.0, 0.0), (1.0, 1.0)}


def test_kmeans_codebook_starts_at_the_centres_with_scaled_counts():
  z, centres = _clusters()
  new = quantize.kmeans_codebook(jax.random.key(0), z, 8)
  assert _match(new.ema.codebook, centres) < 0.05
  np.testing.assert_allclose(new.ema.counts.sum(), len(z))
  np.testing.assert_allclose(new.ema.sums / new.ema.counts[:, None],
                             new.ema.codebook, rtol=1e-5, atol=1e-5)
  scaled = quantize.kmeans_codebook(jax.random.key(0), z, 8, count_scale=0.5)
  np.testing.assert_allclose(scaled.ema.counts, new.ema.counts * 0.5)
  np.testing.assert_allclose(scaled.ema.codebook, new.ema.codebook)
  assert int(new.unused.max()) == 0


def test_dead_code_restart_leaves_no_code_unused():
  """One code starts on the data, seven far from it: they stay unused until
  the restarts (after 5 unused steps) re-seed them from the batch; then
  every code is assigned data (restarts do not promise the k-means optimum:
  two codes may split one cluster while another code spans two)."""
  z, _ = _clusters()
  state = quantize.codebook_init(jnp.full((8, 3), 1e3).at[0].set(z[0]))
  update = jax.jit(functools.partial(
      quantize.update_codebook, decay=0.9, restart_after=5))
  used = lambda s: len(np.unique(np.asarray(
      quantize.nearest_code(z, s.ema.codebook))))
  for t in range(200):
    if t == 4:
      assert used(state) == 1 and int(state.unused[1]) == 4
    idx = quantize.nearest_code(z, state.ema.codebook)
    state = update(state, jax.random.key(t), z, idx)
  assert used(state) == 8 and int(state.unused.max()) == 0


def test_update_codebook_under_pmap_equals_single_device():
  """Restarts draw from the gathered global batch with a shared key, the EMA
  sums over devices: every device ends with the single-device codebook."""
  n_dev = jax.local_device_count()
  z, _ = _clusters(num_clusters=4, per_cluster=4 * n_dev)
  state = quantize.codebook_init(jnp.full((8, 3), 1e3).at[0].set(z[0]))
  f = functools.partial(quantize.update_codebook, restart_after=1,
                        decay=0.9)
  per_dev = lambda x: x.reshape((n_dev, -1) + x.shape[1:])
  rep = lambda t: jax.tree.map(
      lambda x: jnp.broadcast_to(x, (n_dev,) + x.shape), t)
  multi_f = jax.pmap(
      lambda s, k, zz, ii: f(s, k, zz, ii, axis_name="d"),
      axis_name="d", in_axes=(0, None, 0, 0))
  single, multi = state, rep(state)
  for t in range(4):
    idx = quantize.nearest_code(z, single.ema.codebook)
    single = f(single, jax.random.key(t), z, idx)
    multi = multi_f(multi, jax.random.key(t), per_dev(z), per_dev(idx))
    for i in range(n_dev):
      chex.assert_trees_all_close(jax.tree.map(lambda x, i=i: x[i], multi),
                                  single, rtol=1e-5, atol=1e-5)
