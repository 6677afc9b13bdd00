"""GAN-prior inpainting's latent fit: it keeps the known pixels, never reads
the hole, and lowers its own loss."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.helpers import load_config
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.methods.adversarial import gan_inpainting
from unsup_jax.ops import masks

SHAPE = (8, 8, 1)
NOISE = 6


def _networks():
  """A fixed linear-sigmoid generator and a fixed linear critic."""
  a = jax.random.normal(jax.random.key(1), (NOISE, 64))
  v = jax.random.normal(jax.random.key(2), (64,)) * 0.1
  generator = lambda z: jax.nn.sigmoid(z @ a).reshape((-1,) + SHAPE)
  critic = lambda x: x.reshape(x.shape[0], -1) @ v
  return generator, critic


def _fit(images, mask, **kwargs):
  generator, critic = _networks()
  args = dict(noise_dim=NOISE, steps=60, learning_rate=0.1,
              perceptual_weight=0.01, window=3, restarts=3)
  args.update(kwargs)
  return jax.jit(lambda x, m: gan_inpainting.fit_latents(
      generator, critic, x, m, jax.random.key(3), **args))(images, mask)


def test_fit_keeps_known_pixels_never_reads_the_hole_and_lowers_its_loss():
  generator, _ = _networks()
  images = generator(jax.random.normal(jax.random.key(4), (5, NOISE)))
  mask = masks.centre_square((5,) + SHAPE, size=4)
  out = _fit(images, mask)
  known = np.asarray(mask) == 0
  np.testing.assert_array_equal(np.asarray(out["filled"])[known[..., 0]],
                                np.asarray(images)[known[..., 0]])
  hole = ~known[..., 0]
  np.testing.assert_allclose(np.asarray(out["filled"])[hole],
                             np.asarray(out["generated"])[hole])
  loss = np.asarray(out["loss"])
  assert loss.shape == (5, 61)
  assert np.all(loss[:, -1] < loss[:, 0])
  # Whatever the hole holds, the fit is the same.
  scrambled = jnp.where(mask > 0, jax.random.uniform(jax.random.key(5),
                                                     images.shape), images)
  again = _fit(scrambled, mask)
  np.testing.assert_allclose(again["filled"][known[..., 0]],
                             out["filled"][known[..., 0]])
  np.testing.assert_allclose(again["generated"], out["generated"],
                             rtol=1e-5, atol=1e-6)


def test_bad_settings_are_user_errors():
  config = load_config("gan_inpainting_mnist")
  config.prior_inpaint.window = 4
  with pytest.raises(UserError, match="odd"):
    configs.validate(config)
  config = load_config("gan_inpainting_mnist")
  config.data.binarize = "dynamic"
  with pytest.raises(UserError, match="binarize"):
    configs.validate(config)


def test_hole_size_sets_the_context_encoders_holes():
  config = load_config("gan_inpainting_mnist")
  config.prior_inpaint.hole_size = 18
  subs = gan_inpainting.study_configs(config)
  assert subs["context_encoder"].inpaint.size == 18
  config.prior_inpaint.hole_size = 0      # the context experiment's own
  own = load_config("inpainting_mnist")
  assert gan_inpainting.study_configs(
      config)["context_encoder"].inpaint.size == own.inpaint.size


def test_digit_accuracies_count_the_labels_read():
  class Reader:                     # reads the class from the first pixel
    def predict(self, x):
      return np.rint(x[:, 0, 0, 0] * 10).astype(int)
  labels = np.array([3, 1, 4, 1])
  image = lambda read: np.full((4, 28, 28, 1), 0.0, np.float32) + (
      np.asarray(read, np.float32)[:, None, None, None] / 10)
  out = gan_inpainting.digit_accuracies(Reader(), labels, {
      "a": image([3, 1, 4, 1]), "b": image([3, 0, 0, 1])})
  assert out == {"accuracy_a": 1.0, "accuracy_b": 0.5}
