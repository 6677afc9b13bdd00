"""Semantic hashing: binary codes, straight-through gradients, the experiment."""


import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.helpers import build, image_spec, load_config, step_of
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.methods.compression import semantic_hashing
from unsup_jax.models import hashing
from unsup_jax.ops import distributions

SHAPE = (28, 28, 1)


def _batch(n=16, seed=0):
  rng = np.random.default_rng(seed)
  return {"image": rng.uniform(size=(n,) + SHAPE).astype(np.float32),
          "label": rng.integers(0, 10, n).astype(np.int32)}


def test_straight_through_is_hard_forward_and_sigmoid_backward():
  logits = jnp.array([[-3.0, -0.2, 0.0, 1e-9, 0.4, 5.0]])
  code = hashing.straight_through_code(logits)
  np.testing.assert_array_equal(code, [[0, 0, 0, 1, 1, 1]])
  weights = jnp.arange(1.0, 7.0)[None]
  grad = jax.grad(lambda l: jnp.sum(weights * hashing.straight_through_code(l)))(
      logits)
  s = 1 / (1 + np.exp(-np.asarray(logits, np.float64)))
  np.testing.assert_allclose(grad, weights * s * (1 - s), rtol=1e-5)


def test_noisy_sigmoid_noise_has_the_given_std_and_is_keyed_per_example():
  logits = jnp.full((400, 32), 0.5)
  keys = distributions.per_example_keys(jax.random.key(0), 400)
  code = hashing.noisy_sigmoid_code(keys, logits, noise_std=4.0)
  noise = np.log(code / (1 - code)) - 0.5                      # logit(code) - l
  assert abs(noise.mean()) < 0.1 and noise.std() == pytest.approx(4.0, rel=0.03)
  # Example i's noise depends only on its key, not on the rest of the batch.
  part = hashing.noisy_sigmoid_code(keys[5:9], logits[5:9], noise_std=4.0)
  np.testing.assert_allclose(part, code[5:9], rtol=1e-6)


@pytest.mark.parametrize("mode", hashing.CODE_MODES)
def test_trained_codes_are_exactly_binary(mode):
  config = load_config("semantic_hashing_mnist")
  config.hashing.code_mode = mode
  config.hashing.bits = 12
  method = semantic_hashing.build(config, image_spec(SHAPE))
  batch = _batch()
  state = method.init(jax.random.key(0), batch)
  step = jax.jit(step_of(method))
  for _ in range(2):
    state, metrics = step(state, batch)
  assert np.isfinite(metrics["loss"]) and int(state.step) == 2
  model = hashing.HashingAutoencoder("mlp", (512,), (512,), 12, SHAPE)
  logits = model.apply({"params": state.params}, batch["image"],
                       method=hashing.HashingAutoencoder.code_logits)
  codes = hashing.binary_codes(logits)
  assert codes.dtype == jnp.uint8 and codes.shape == (16, 12)
  assert set(np.unique(codes)) <= {0, 1}
  np.testing.assert_array_equal(codes, jax.nn.sigmoid(logits) > 0.5)
  train = hashing.train_code(logits, None, mode="straight_through",
                             noise_std=0.0)
  np.testing.assert_array_equal(train, codes)


def test_bad_hashing_config_is_a_user_error():
  config = load_config("semantic_hashing_mnist")
  config.hashing.code_mode = "gumbel"
  with pytest.raises(UserError, match="code_mode"):
    configs.validate(config)
  config = load_config("semantic_hashing_mnist")
  config.hashing.k = 10_000
  method, data = build(config)
  state = method.init(jax.random.key(0), data.iterator("train").batch_at(0))
  with pytest.raises(UserError, match="k="):
    method.evaluate(state, data.view, None, full=False)
