"""A small MNIST classifier whose penultimate layer is the feature space of FID.

FID (Heusel et al. 2017, arXiv:1706.08500) and KID (Bińkowski et al. 2018,
arXiv:1801.01401) compare real and generated images through the features of
a fixed, pretrained classifier: Inception-v3's pool layer for natural images
(Szegedy et al. 2016, arXiv:1512.00567). For 28x28 digits this project
trains its own offline: a LeNet-style (LeCun et al. 1998) convolutional net
on the `mnist5k` train split,

  conv 3x3 32 stride 2 -> relu -> conv 3x3 64 stride 2 -> relu
  -> dense 128 -> relu (the features) -> dense 10,

trained for 25 epochs with Adam (Kingma & Ba 2015, arXiv:1412.6980; batch
128, learning rate 3e-3 with cosine decay) on cross-entropy, with random
shifts of up to +-2 pixels as augmentation (about 98% test accuracy).
Scores from these features are comparable only with each other (same
`VERSION`, same seed), not with published Inception FIDs.

`load_or_train(path)` trains once and caches the parameters (flax msgpack)
next to a json file holding the test accuracy, the seed, a fingerprint of
the architecture and training recipe, and a SHA-256 of the parameters.
"""

import fcntl
import hashlib
import json
import os
import time
from typing import Any, NamedTuple

import flax.linen as nn
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax

from unsup_jax.data import sources
from unsup_jax.errors import UserError
from unsup_jax.eval import batched

# Bump when the architecture or the training recipe changes: caches from
# another version are retrained.
VERSION = 1
IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
FEATURE_DIM = 128
# Architecture and training recipe (Adam, cosine-decayed learning rate).
RECIPE = dict(version=VERSION, dataset="mnist5k", channels=(32, 64), kernel=3,
              features=FEATURE_DIM, epochs=25, batch_size=128,
              learning_rate=3e-3, max_shift=2)
_EVAL_BATCH = 500


class _Net(nn.Module):
  """The conv net; returns (features [B, 128], logits [B, 10])."""

  @nn.compact
  def __call__(self, x):
    for channels in RECIPE["channels"]:
      x = nn.relu(nn.Conv(channels, (RECIPE["kernel"],) * 2,
                          strides=(2, 2))(x))
    x = x.reshape(x.shape[0], -1)
    features = nn.relu(nn.Dense(FEATURE_DIM)(x))
    return features, nn.Dense(NUM_CLASSES)(features)


_NET = _Net()


@jax.jit
def _forward(params, images):
  return _NET.apply({"params": params}, images)


def _check_images(images) -> np.ndarray:
  images = np.asarray(images, np.float32)
  if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE or not len(images):
    raise UserError(f"the feature classifier takes images [N, 28, 28, 1] in "
                    f"[0, 1], got shape {images.shape}")
  return images


class FeatureClassifier(NamedTuple):
  """A trained classifier.

  Attributes:
    params: the Flax parameters of the net.
    test_accuracy: its accuracy on the mnist5k test split.
  """
  params: Any
  test_accuracy: float

  def features(self, images: np.ndarray) -> np.ndarray:
    """Penultimate (post-ReLU) activations `[N, 128]` of `[N, 28, 28, 1]`."""
    return batched.map_batches(lambda x: _forward(self.params, x)[0],
                               _check_images(images), batch_size=_EVAL_BATCH)

  def predict(self, images: np.ndarray) -> np.ndarray:
    """Predicted class ids `[N]` of images `[N, 28, 28, 1]`."""
    logits = batched.map_batches(
        lambda x: _forward(self.params, x)[1], _check_images(images),
        batch_size=_EVAL_BATCH)
    return np.argmax(logits, axis=-1)


def _shift(key, images, max_shift):
  """Translates each image `[B, H, W, C]` by its own random integer offset
  in [-max_shift, max_shift]^2, filling with zeros."""
  b, h, w, c = images.shape
  offsets = jax.random.randint(key, (b, 2), 0, 2 * max_shift + 1)
  padded = jnp.pad(images, ((0, 0), (max_shift,) * 2, (max_shift,) * 2,
                            (0, 0)))
  crop = lambda img, o: jax.lax.dynamic_slice(img, (o[0], o[1], 0), (h, w, c))
  return jax.vmap(crop)(padded, offsets)


def _init_params(seed: int):
  variables = _NET.init(jax.random.key(seed), jnp.zeros((1,) + IMAGE_SHAPE))
  return variables["params"]


def train(*, seed: int = 0, epochs: int | None = None,
          progress: bool = False) -> FeatureClassifier:
  """Trains the classifier on mnist5k train; deterministic given the seed.

  Args:
    seed: seeds the initialisation, the batch order and the augmentation.
    epochs: passes over the 4,000 training images (default `RECIPE`'s).
    progress: print the loss and accuracy after each epoch.

  Returns:
    The trained classifier with its mnist5k test accuracy.
  """
  data = sources.load("mnist5k")
  train = data.split("train")
  epochs = RECIPE["epochs"] if epochs is None else epochs
  batch_size, max_shift = RECIPE["batch_size"], RECIPE["max_shift"]
  steps_per_epoch = len(train["image"]) // batch_size
  schedule = optax.cosine_decay_schedule(
      RECIPE["learning_rate"], max(1, epochs * steps_per_epoch))
  tx = optax.adam(schedule)
  params = _init_params(seed)
  opt_state = tx.init(params)

  images = jnp.asarray(train["image"])
  labels = jnp.asarray(train["label"])

  # A Python loop over a jitted step: on XLA:CPU convolutions inside
  # `lax.scan` run several times slower than at the top level.
  @jax.jit
  def step(params, opt_state, key, images, labels, idx):
    x = _shift(key, images[idx], max_shift)

    def loss_fn(p):
      logits = _NET.apply({"params": p}, x)[1]
      return optax.softmax_cross_entropy_with_integer_labels(
          logits, labels[idx]).mean()

    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  key = jax.random.key(seed + 1)
  start = time.time()
  for epoch in range(epochs):
    perm_key, epoch_key = jax.random.split(jax.random.fold_in(key, epoch))
    order = jax.random.permutation(perm_key, len(train["image"]))
    losses = []
    for i in range(steps_per_epoch):
      idx = order[i * batch_size:(i + 1) * batch_size]
      params, opt_state, loss = step(params, opt_state,
                                     jax.random.fold_in(epoch_key, i),
                                     images, labels, idx)
      losses.append(loss)
    if progress:
      print(f"feature classifier epoch {epoch + 1}/{epochs}: loss "
            f"{float(jnp.mean(jnp.stack(losses))):.4f} "
            f"({time.time() - start:.1f} s)", flush=True)
  params = jax.device_get(params)
  accuracy = _accuracy(params, data)
  if progress:
    print(f"feature classifier: test accuracy {accuracy:.4f}", flush=True)
  return FeatureClassifier(params, accuracy)


def _accuracy(params, data) -> float:
  test = data.split("test")
  predictions = FeatureClassifier(params, 0.0).predict(test["image"])
  return float(np.mean(predictions == test["label"]))


def _fingerprint(seed: int) -> str:
  text = json.dumps(dict(RECIPE, seed=seed), sort_keys=True)
  return hashlib.sha256(text.encode()).hexdigest()[:16]


def _write_atomic(path: str, payload: bytes) -> None:
  tmp = f"{path}.tmp{os.getpid()}"
  with open(tmp, "wb") as f:
    f.write(payload)
  os.replace(tmp, path)


def _load(cache_path: str, seed: int) -> FeatureClassifier | None:
  """The cached classifier, or None when missing, corrupt or mismatched."""
  try:
    with open(cache_path + ".json") as f:
      meta = json.load(f)
    with open(cache_path, "rb") as f:
      payload = f.read()
    if (meta.get("fingerprint") != _fingerprint(seed) or
        meta.get("sha256") != hashlib.sha256(payload).hexdigest()):
      return None
    template = jax.eval_shape(_init_params, seed)
    template = jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), template)
    params = flax.serialization.from_bytes(template, payload)
    shapes_ok = jax.tree.all(jax.tree.map(
        lambda a, b: np.shape(a) == np.shape(b), params, template))
    if not shapes_ok:
      return None
    return FeatureClassifier(params, float(meta["test_accuracy"]))
  except (OSError, ValueError, KeyError, TypeError, AttributeError):
    return None


def load_or_train(cache_path: str, *, seed: int = 0,
                  progress: bool = False) -> FeatureClassifier:
  """Loads the classifier cached at `cache_path`, or trains and caches it.

  The parameters are at `cache_path` (flax msgpack) and the metadata (test
  accuracy, seed, recipe fingerprint, parameter SHA-256) at
  `cache_path + ".json"`, both written atomically (tmp file + os.replace),
  the json last. A missing, corrupt or mismatched cache (another seed or
  `VERSION`) is retrained and overwritten, not an error. Processes that
  miss the cache at once train it once (a lock file `cache_path + ".lock"`).

  Args:
    cache_path: file path of the msgpack parameters; its folder is created.
    seed: training seed.
    progress: print training progress.

  Returns:
    The classifier.
  """
  cached = _load(cache_path, seed)
  if cached is not None:
    return cached
  os.makedirs(os.path.dirname(os.path.abspath(cache_path)), exist_ok=True)
  # Runs that miss the cache together train once: the first holds the lock
  # while it trains, the others then find its cache.
  with open(cache_path + ".lock", "a") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
      cached = _load(cache_path, seed)
      if cached is not None:
        return cached
      return _train_and_cache(cache_path, seed, progress)
    finally:
      fcntl.flock(lock, fcntl.LOCK_UN)


def _train_and_cache(cache_path: str, seed: int,
                     progress: bool) -> FeatureClassifier:
  if progress:
    print(f"training the feature classifier (cache {cache_path})", flush=True)
  classifier = train(seed=seed, progress=progress)
  payload = flax.serialization.to_bytes(classifier.params)
  _write_atomic(cache_path, payload)
  meta = dict(test_accuracy=classifier.test_accuracy, seed=seed,
              version=VERSION, fingerprint=_fingerprint(seed),
              sha256=hashlib.sha256(payload).hexdigest())
  _write_atomic(cache_path + ".json",
                json.dumps(meta, indent=2).encode())
  return classifier


# Where `cached` keeps the network when no path is configured.
CACHE_ENV = "UNSUP_JAX_FID_CLASSIFIER"


def cache_path(configured: str, workdir: str | None) -> str:
  """Where the feature network is cached: the configured path, else
  `$UNSUP_JAX_FID_CLASSIFIER`, else the run's workdir (or ~/.cache)."""
  if configured:
    return configured
  if os.environ.get(CACHE_ENV):
    return os.environ[CACHE_ENV]
  base = workdir or os.path.join(os.path.expanduser("~"), ".cache",
                                 "unsup_jax")
  return os.path.join(base, "fid_classifier.msgpack")


def cached(configured: str, workdir: str | None) -> FeatureClassifier:
  """The feature network of FID/KID and of the digit checks of generated
  images (GANs, AAE samples, TD-VAE rollouts), trained on first use and
  cached at `cache_path(configured, workdir)`."""
  return load_or_train(cache_path(configured, workdir), seed=0)
