"""The spectral-norm wrapper: normalised kernels, state that advances only
when asked, and parameters named as without it."""

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.nn.spectral_norm import SpectralNorm


def _effective_kernel(module, variables, inputs):
  """W / sigma of a bias-free Dense: its outputs on the identity rows."""
  return module.apply(variables, jnp.eye(inputs), update=False)


def test_wrapped_kernel_reaches_spectral_norm_one():
  module = SpectralNorm(nn.Dense(5, use_bias=False))
  variables = module.init(jax.random.key(0), jnp.ones((1, 7)), update=False)
  variables = {"params": jax.tree.map(lambda w: 4.0 * w,
                                      variables["params"]),
               "spectral": variables["spectral"]}
  raw = variables["params"]["layer"]["kernel"]
  assert np.linalg.norm(raw, 2) > 1.5
  for _ in range(50):
    _, new = module.apply(variables, jnp.ones((2, 7)), update=True,
                          mutable=["spectral"])
    variables = dict(variables, **new)
  effective = _effective_kernel(module, variables, 7)
  np.testing.assert_allclose(np.linalg.norm(effective, 2), 1.0, rtol=1e-4)
  # Direction unchanged: the layer is the raw one divided by a scalar.
  np.testing.assert_allclose(effective * np.linalg.norm(raw, 2), raw,
                             rtol=1e-3, atol=1e-5)


def test_state_advances_only_with_update():
  module = SpectralNorm(nn.Dense(3))
  variables = module.init(jax.random.key(1), jnp.ones((1, 4)), update=False)
  _, same = module.apply(variables, jnp.ones((2, 4)), update=False,
                         mutable=["spectral"])
  chex.assert_trees_all_equal(same["spectral"], variables["spectral"])
  _, moved = module.apply(variables, jnp.ones((2, 4)), update=True,
                          mutable=["spectral"])
  assert not np.allclose(moved["spectral"]["kernel"],
                         variables["spectral"]["kernel"])
  # Biases are not normalised; only the kernel has a vector.
  assert set(variables["spectral"]) == {"kernel"}


def test_parameters_are_named_as_without_the_wrapper():
  class Net(nn.Module):
    sn: bool

    @nn.compact
    def __call__(self, x):
      layer = nn.Dense(2, name="out")
      return SpectralNorm(layer)(x, update=False) if self.sn else layer(x)

  x = jnp.ones((1, 3))
  with_sn = Net(True).init(jax.random.key(0), x)
  without = Net(False).init(jax.random.key(0), x)
  chex.assert_trees_all_equal_shapes(with_sn["params"], without["params"])
