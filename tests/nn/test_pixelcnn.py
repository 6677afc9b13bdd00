"""Gated PixelCNN: causality, receptive field, conditioning, sampling and
learning, as properties."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from unsup_jax.losses.categorical import categorical_nll
from unsup_jax.nn.pixelcnn import GatedPixelCNN, causal_mask, sample

K = 5


def _init(model, shape=(2, 6, 7), cond=None, seed=0):
  """Parameters with every entry (biases, masked taps too) perturbed."""
  params = model.init(jax.random.key(seed), jnp.zeros(shape, jnp.int32),
                      cond)["params"]
  rng = np.random.default_rng(seed)
  params = jax.tree.map(
      lambda p: jnp.asarray(p + 0.3 * rng.normal(size=p.shape), jnp.float32),
      params)
  return jax.jit(lambda c, y=None: model.apply({"params": params}, c, y))


def _other(key, codes, k=K):
  """Codes that differ from `codes` everywhere."""
  return (codes + jax.random.randint(key, codes.shape, 1, k)) % k


def test_masks():
  np.testing.assert_array_equal(
      causal_mask((3, 3), vertical=True, include_centre=False),
      [[1, 1, 1], [0, 0, 0], [0, 0, 0]])
  np.testing.assert_array_equal(
      causal_mask((3, 3), vertical=True, include_centre=True),
      [[1, 1, 1], [1, 1, 1], [0, 0, 0]])
  np.testing.assert_array_equal(
      causal_mask((1, 5), vertical=False, include_centre=False),
      [[1, 1, 0, 0, 0]])
  np.testing.assert_array_equal(
      causal_mask((1, 5), vertical=False, include_centre=True),
      [[1, 1, 1, 0, 0]])


@pytest.mark.parametrize("conditional", [False, True])
def test_causal_exactly(conditional):
  """Changing every code at raster positions >= p leaves logits at p
  bit-identical, for every p."""
  b, h, w = 2, 6, 7
  model = GatedPixelCNN(K, channels=16, num_layers=3,
                        num_cond_codes=3 if conditional else 0, cond_channels=8)
  k1, k2, k3 = jax.random.split(jax.random.key(1), 3)
  cond = jax.random.randint(k3, (b, 4, 4), 0, 3) if conditional else None
  apply_fn = _init(model, cond=cond)
  codes = jax.random.randint(k1, (b, h, w), 0, K)
  other = _other(k2, codes)
  base = np.asarray(apply_fn(codes, cond))
  chex.assert_shape(base, (b, h, w, K))
  assert base.dtype == np.float32
  raster = np.arange(h * w).reshape(h, w)
  for p in range(h * w):
    r, c = divmod(p, w)
    mixed = jnp.where(raster >= p, other, codes)
    out = np.asarray(apply_fn(mixed, cond))
    np.testing.assert_array_equal(out[:, r, c], base[:, r, c], err_msg=str(p))
    if p < h * w - 1:   # the test can fail: later positions do move.
      assert np.abs(out[:, raster > p] - base[:, raster > p]).max() > 1e-3


def test_receptive_field_has_no_blind_spot():
  """Logits at p depend on every code strictly before p (in particular the
  left, above and above-right neighbours) and on nothing after."""
  h, w = 7, 7
  model = GatedPixelCNN(K, channels=16, num_layers=7)
  apply_fn = _init(model, shape=(1, h, w))
  k1, k2 = jax.random.split(jax.random.key(2))
  codes = jax.random.randint(k1, (1, h, w), 0, K)
  other = _other(k2, codes)
  base = np.asarray(apply_fn(codes))[0]
  delta = np.stack([                                     # [q, H, W]: change q
      np.abs(np.asarray(apply_fn(codes.at[0, r, c].set(other[0, r, c])))[0]
             - base).max(-1) for r in range(h) for c in range(w)])
  delta = delta.reshape(h * w, h * w).T                  # [p, q]
  past = np.tril(np.ones((h * w,) * 2, bool), -1)
  assert np.all(delta[~past] == 0) and delta[past].min() > 1e-4
  # The default model (6 gated layers) sees each neighbour of a 7x7 map.
  apply_fn = _init(GatedPixelCNN(K, channels=16), shape=(1, h, w))
  base = np.asarray(apply_fn(codes))
  for r, c in [(3, 3), (6, 5), (1, 0), (4, 6)]:
    for q in [(r, c - 1), (r - 1, c), (r - 1, c + 1)]:
      if 0 <= q[1] < w:
        out = np.asarray(apply_fn(codes.at[(0, *q)].set(other[(0, *q)])))
        assert np.abs(out[0, r, c] - base[0, r, c]).max() > 1e-4, (r, c, q)


def test_conditioning_changes_logits_at_any_size():
  model = GatedPixelCNN(K, channels=16, num_layers=2, num_cond_codes=4,
                        cond_channels=8)
  codes = jax.random.randint(jax.random.key(3), (2, 7, 7), 0, K)
  apply_fn = _init(model, shape=(2, 7, 7), cond=jnp.zeros((2, 4, 4), jnp.int32))
  cond = jax.random.randint(jax.random.key(4), (2, 4, 4), 0, 4)
  base = np.asarray(apply_fn(codes, cond))
  moved = np.asarray(apply_fn(codes, (cond + 1) % 4))
  # Every position moves, the first (no codes before it) too.
  assert np.all(np.abs(moved - base).max(-1) > 1e-4)
  # Nearest resizing: a map and its 2x block-repeated copy condition alike.
  small = jax.random.randint(jax.random.key(6), (2, 2, 3), 0, 4)
  big = jnp.repeat(jnp.repeat(small, 2, axis=1), 2, axis=2)
  np.testing.assert_allclose(apply_fn(codes, small), apply_fn(codes, big),
                             atol=1e-5)
  # Other cond sizes use the same parameters.
  for size in [(1, 1), (14, 14)]:
    out = apply_fn(codes, jnp.zeros((2, *size), jnp.int32))
    chex.assert_shape(out, (2, 7, 7, K))
    chex.assert_tree_all_finite(out)


def test_cond_mismatch_raises():
  codes = jnp.zeros((2, 4, 4), jnp.int32)
  key = jax.random.key(0)
  plain = GatedPixelCNN(K, channels=8, num_layers=1)
  params = jax.eval_shape(plain.init, key, codes)      # traces, no compile
  with pytest.raises(ValueError, match="cond"):
    jax.eval_shape(plain.apply, params, codes, jnp.zeros((2, 2, 2), jnp.int32))
  conditional = GatedPixelCNN(K, channels=8, num_layers=1, num_cond_codes=3)
  with pytest.raises(ValueError, match="cond"):
    jax.eval_shape(conditional.init, key, codes)
  with pytest.raises(ValueError, match="cond"):
    jax.eval_shape(conditional.init, key, codes,
                   jnp.zeros((3, 2, 2), jnp.int32))
  with pytest.raises(ValueError, match="kernel_size"):
    jax.eval_shape(GatedPixelCNN(K, kernel_size=4).init, key, codes)
  # The matching calls trace.
  jax.eval_shape(conditional.init, key, codes, jnp.zeros((2, 1, 3), jnp.int32))


def test_greedy_sample_is_a_fixed_point_and_keys_matter():
  model = GatedPixelCNN(K, channels=16, num_layers=3, num_cond_codes=3,
                        cond_channels=8)
  cond = jax.random.randint(jax.random.key(5), (4, 3, 3), 0, 3)
  apply_fn = _init(model, shape=(4, 5, 6), cond=cond)
  draw = jax.jit(sample, static_argnums=(0, 2, 3),
                 static_argnames=("temperature",))
  greedy = draw(apply_fn, jax.random.key(0), 4, (5, 6), cond, temperature=0.0)
  chex.assert_shape(greedy, (4, 5, 6))
  assert greedy.dtype == jnp.int32
  np.testing.assert_array_equal(jnp.argmax(apply_fn(greedy, cond), -1), greedy)
  a = draw(apply_fn, jax.random.key(7), 4, (5, 6), cond)
  np.testing.assert_array_equal(a, draw(apply_fn, jax.random.key(7), 4, (5, 6),
                                        cond))
  assert np.any(np.asarray(a) != np.asarray(
      draw(apply_fn, jax.random.key(8), 4, (5, 6), cond)))
  assert np.asarray(a).min() >= 0 and np.asarray(a).max() < K


def test_sample_follows_raster_order_and_temperature():
  """Against hand-written causal logit functions."""
  h, w = 3, 4

  def next_code(codes, cond):   # x_p = (x_{p-1} + 1) mod K, x_0 = 2
    flat = codes.reshape(codes.shape[0], -1)
    prev = jnp.concatenate([jnp.full_like(flat[:, :1], 1), flat[:, :-1]], 1)
    return 20.0 * jax.nn.one_hot((prev + 1) % K, K).reshape(*codes.shape, K)

  out = sample(next_code, jax.random.key(0), 2, (h, w), temperature=0.0)
  expected = ((2 + np.arange(h * w)) % K).reshape(h, w)
  np.testing.assert_array_equal(out, np.broadcast_to(expected, (2, h, w)))
  # Fixed logits: frequencies follow softmax(logits / T).
  logits = jnp.log(jnp.array([0.1, 0.2, 0.3, 0.4, 0.0]) + 1e-30)
  fixed = lambda c, y: jnp.broadcast_to(logits, (*c.shape, K))
  for t in [1.0, 0.5]:
    draws = np.asarray(sample(fixed, jax.random.key(1), 500, (h, w),
                              temperature=t))
    freq = np.bincount(draws.ravel(), minlength=K) / draws.size
    np.testing.assert_allclose(freq, jax.nn.softmax(logits / t), atol=0.02)
  # A traced temperature gives the same draws as a static one.
  traced = jax.jit(sample, static_argnums=(0, 2, 3))
  for t in [0.0, 0.5]:
    np.testing.assert_array_equal(
        traced(fixed, jax.random.key(1), 50, (h, w), temperature=t),
        sample(fixed, jax.random.key(1), 50, (h, w), temperature=t))


@pytest.mark.parametrize("conditional", [False, True])
def test_learns_constant_maps(conditional):
  """Maps constant at one of 4 values: 2 / (H W) bits a code; given a 2x2
  cond map holding which pair of values, {1, 3} or {4, 6}: 1 / (H W)."""
  h, w, b = 4, 4, 32
  pairs = jnp.array([[1, 3], [4, 6]])
  model = GatedPixelCNN(8, channels=32, num_layers=2,
                        num_cond_codes=2 if conditional else 0, cond_channels=8)

  def batch(key):
    pair, item = jax.random.randint(key, (2, b), 0, 2)
    cond = jnp.broadcast_to(pair[:, None, None], (b, 2, 2))
    x = jnp.broadcast_to(pairs[pair, item][:, None, None], (b, h, w))
    return x.astype(jnp.int32), (cond if conditional else None)

  params = model.init(jax.random.key(0), *batch(jax.random.key(0)))["params"]
  opt = optax.adam(1e-2)

  @jax.jit
  def step(params, opt_state, key):
    x, cond = batch(key)
    grads, metrics = jax.grad(
        lambda p: categorical_nll(model.apply({"params": p}, x, cond), x),
        has_aux=True)(params)
    updates, opt_state = opt.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, metrics

  opt_state = opt.init(params)
  for i in range(600):
    params, opt_state, _ = step(params, opt_state,
                                jax.random.fold_in(jax.random.key(1), i))
  x, cond = batch(jax.random.key(100))
  _, metrics = categorical_nll(model.apply({"params": params}, x, cond), x)
  # Uniform would be 3 bits a code.
  entropy = (1 if conditional else 2) / (h * w)
  assert entropy - 0.02 < metrics["bits_per_code"] < entropy + 0.03
  apply_fn = lambda c, y: model.apply({"params": params}, c, y)
  maps = np.asarray(jax.jit(sample, static_argnums=(0, 2, 3))(
      apply_fn, jax.random.key(2), b, (h, w), cond))
  assert np.all(maps == maps[:, :1, :1])
  if conditional:
    allowed = np.asarray(pairs)[np.asarray(cond)[:, 0, 0]]     # [B, 2]
    assert np.all(np.any(maps[:, :1, 0] == allowed, axis=1))
  assert set(np.unique(maps[:, 0, 0])) == {1, 3, 4, 6}
