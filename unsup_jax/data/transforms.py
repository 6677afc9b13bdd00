"""Data transforms declared in `config.data`, applied by the data layer.

Binarisation follows the stochastic binarisation of MNIST in Salakhutdinov
and Murray, "On the quantitative analysis of deep belief networks" (ICML
2008): each pixel intensity is the probability of a 1. `binarize="static"`
draws the training bits once, on the host; `"dynamic"` draws fresh bits for
every step inside the compiled step (`StepTransform`; 16-bit uniforms, so
each probability is exact to 2^-16), one key per example from its index in
the global batch, so a step split over devices draws what one device
would. Evaluation sees every split binarised once with a fixed seed
(`eval_view`).

Corruption (the denoising autoencoder; Vincent et al. 2008, 2010) adds the
feature `corrupted`: the image with `data.corruption` noise at
`data.corruption_level` (`ops/corruption.py`), fresh every step in training
and fixed per test example (key `fold_in(key(EVAL_CORRUPTION_SEED), i)`) in
evaluation. The clean `image` stays the target.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.data.dataset import Dataset
from unsup_jax.ops import corruption, distributions

# The one-off draw behind binarize="static" (every run sees the same bits).
STATIC_BINARIZE_SEED = 0
# Evaluation splits other than "train" are binarised with this seed.
TEST_BINARIZATION_SEED = 1234
# Test images are corrupted with keys from this seed: every evaluation sees
# the same noisy inputs.
EVAL_CORRUPTION_SEED = 20080705
# Stream of `fold_in(key(seed), .)` that keys the per-step transforms.
STEP_KEY_STREAM = 0x5EED


def binarize_static(images: np.ndarray, seed: int) -> np.ndarray:
  """Fixed stochastic binarisation.

  Args:
    images: [N, H, W, C] intensities in [0, 1].
    seed: seed of the draw; the same (images, seed) always gives the same bits.

  Returns:
    [N, H, W, C] float32 of 0s and 1s with P(1) equal to the intensity.
  """
  rng = np.random.default_rng([int(seed), 2])
  images = np.asarray(images, np.float32)
  return (rng.random(images.shape, dtype=np.float32) < images).astype(
      np.float32)


def _binarize_split(features: dict, seed: int) -> dict:
  if "image" not in features:
    return features
  return dict(features, image=binarize_static(features["image"], seed))


def training_arrays(dataset: Dataset, data_config) -> Dataset:
  """The dataset as the training streams draw it (static bits drawn once)."""
  if data_config.binarize != "static":
    return dataset
  return dataset.replace_split(
      "train", _binarize_split(dict(dataset.split("train")),
                               STATIC_BINARIZE_SEED))


def corrupt_fixed(images: np.ndarray, data_config) -> np.ndarray:
  """`images [N, ...]` corrupted with the fixed key of each index."""
  key = jax.random.key(EVAL_CORRUPTION_SEED)
  keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(
      jnp.arange(len(images)))
  return np.asarray(jax.jit(lambda k, x: corruption.corrupt_examples(
      k, x, kind=data_config.corruption, level=data_config.corruption_level))(
          keys, jnp.asarray(images)))


def eval_view(dataset: Dataset, data_config) -> Dataset:
  """Every split as evaluated: binarised once when training binarises (the
  train split with the training draw's seed, the others with
  `TEST_BINARIZATION_SEED`), with `corrupted` inputs from fixed keys."""
  for split in dataset.splits:
    features = dict(dataset.split(split))
    if data_config.binarize != "none":
      features = _binarize_split(features, STATIC_BINARIZE_SEED
                                 if split == "train" else
                                 TEST_BINARIZATION_SEED)
    if data_config.corruption != "none" and "image" in features:
      features["corrupted"] = corrupt_fixed(features["image"], data_config)
    dataset = dataset.replace_split(split, features)
  return dataset


def added_features(features: dict, data_config) -> dict:
  """Features the step transform adds to a batch of `features`."""
  if data_config.corruption != "none" and "image" in features:
    return {"corrupted": features["image"]}
  return {}


@dataclasses.dataclass(frozen=True)
class StepTransform:
  """The per-step transforms of `config.data`, run inside the compiled step.

  Call it as `transform(stream_index, batch, step, offset)`: `batch` is this
  device's `[b, ...]` features of stream number `stream_index`, `step` the
  state's step (int32 scalar) and `offset` the global index of the batch's
  first example. Deterministic in (seed, stream, step, global index).
  """
  seed: int
  binarize: bool
  corruption: str
  level: float

  @classmethod
  def create(cls, data_config, seed: int) -> "StepTransform | None":
    t = cls(seed=int(seed), binarize=data_config.binarize == "dynamic",
            corruption=data_config.corruption,
            level=float(data_config.corruption_level))
    return t if (t.binarize or t.corruption != "none") else None

  def __call__(self, stream_index: int, batch: dict, step: jax.Array,
               offset: jax.Array) -> dict:
    if "image" not in batch:
      return batch
    root = jax.random.fold_in(jax.random.key(self.seed), STEP_KEY_STREAM)
    key = jax.random.fold_in(jax.random.fold_in(root, stream_index), step)
    bits_key, noise_key = jax.random.split(key)
    x = batch["image"]
    if self.binarize:
      # A 16-bit uniform u per pixel, bit = [u < 2^16 x]: P(1) is x rounded
      # up to a multiple of 2^-16 (exactly 0 and 1 at the ends), at half
      # the random bits (and less than half the time) of a float32 draw.
      keys = distributions.per_example_keys(bits_key, x.shape[0], offset)
      u = jax.vmap(lambda k: jax.random.bits(k, x.shape[1:], jnp.uint16))(
          keys)
      x = (u.astype(jnp.float32) < x * 65536.0).astype(x.dtype)
    out = dict(batch, image=x)
    if self.corruption != "none":
      keys = distributions.per_example_keys(noise_key, x.shape[0], offset)
      out["corrupted"] = corruption.corrupt_examples(
          keys, x, kind=self.corruption, level=self.level)
    return out
