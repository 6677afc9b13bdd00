"""Tests for the sequence datasets (`data/sequences.py`,
`data/sequence_render.py`): the generators, their hidden states, the
oscillator's statistics, the datasets and the real `tfds:moving_mnist`."""

import types

import numpy as np
import pytest

from unsup_jax.data import sequence_render, sequences, sources
from unsup_jax.errors import UserError

R, SIZE = sequences.BALL_RADIUS, sequences.BOX_SIZE


@pytest.fixture(name="digits", scope="module")
def _digits():
  train = sources.load("mnist5k").split("train")
  return train["image"][:60], train["label"][:60]


def _generators(digits):
  images, labels = digits
  return {
      "moving_digits": lambda n, seed: sequences.make_moving_digits(
          images, labels, n, seed),
      "switching_digits": lambda n, seed: sequences.make_switching_digits(
          images, labels, n, seed, switch_prob=0.3),
      "oscillator": sequences.make_oscillator,
      "bouncing_balls": sequences.make_bouncing_balls,
  }


@pytest.mark.parametrize("name", sequences.SEQUENCE_DATASETS)
def test_generators_are_deterministic_in_their_seed(name, digits):
  make = _generators(digits)[name]
  a, b, c = make(30, 3), make(30, 3), make(30, 4)
  assert set(a) == set(c)
  for key in a:
    np.testing.assert_array_equal(a[key], b[key])
  assert not np.array_equal(a["frames"], c["frames"])
  # A smaller draw of the same seed is a prefix of a larger one.
  small = make(7, 3)
  for key in a:
    np.testing.assert_array_equal(small[key], a[key][:7])


# ------------------------------------------------------- moving digits --

def _assert_states_render(d, images, labels, **direction_shape):
  """int32 states of the expected shapes (the direction's named), and the
  frames and labels they give."""
  n, t = d["offset"].shape
  shapes = dict(direction_shape, label=(n,), offset=(n, t), source=(n,))
  for key, shape in shapes.items():
    assert d[key].shape == shape and d[key].dtype == np.int32, key
  np.testing.assert_array_equal(
      sequences.render_moving_digits(images, d["source"], d["offset"]),
      d["frames"])
  np.testing.assert_array_equal(d["label"], labels[d["source"]])


def test_moving_digits_states_reproduce_their_frames(digits):
  images, labels = digits
  d = sequences.make_moving_digits(images, labels, 40, seed=0)
  n, t = 40, sequences.DIGIT_LENGTH
  assert d["frames"].shape == (n, t, 28, 28, 1)
  assert d["frames"].dtype == np.float32
  _assert_states_render(d, images, labels, direction=(n,))
  assert len(set(d["source"].tolist())) == n           # a permutation
  assert set(d["direction"].tolist()) == {-1, 1}
  assert np.all((d["offset"] >= 0) & (d["offset"] < 28))
  assert len(np.unique(d["offset"][:, 0])) > 15        # the start varies
  np.testing.assert_array_equal(np.diff(d["offset"], axis=1) % 28,
                                np.broadcast_to(d["direction"][:, None] % 28,
                                                (n, t - 1)))
  # Every frame is its digit shifted circularly: the same pixels, and
  # np.roll by the offset along the width.
  source = images[d["source"]].reshape(n, 1, -1)
  np.testing.assert_array_equal(np.sort(d["frames"].reshape(n, t, -1), -1),
                                np.broadcast_to(np.sort(source, -1),
                                                (n, t, 784)))
  for i, j in ((0, 0), (3, 7), (11, 19)):
    np.testing.assert_array_equal(
        d["frames"][i, j],
        np.roll(images[d["source"][i]], d["offset"][i, j], axis=1))


def test_switching_digits_states_reproduce_their_frames(digits):
  images, labels = digits
  n, t = 40, sequences.DIGIT_LENGTH
  d = sequences.make_switching_digits(images, labels, n, seed=0,
                                      switch_prob=0.3)
  _assert_states_render(d, images, labels, directions=(n, t))
  assert set(np.unique(d["directions"]).tolist()) == {-1, 1}
  # Each move is the direction into its frame.
  np.testing.assert_array_equal(np.diff(d["offset"], axis=1) % 28,
                                d["directions"][:, 1:] % 28)
  # No reversals: moving digits' motion; always: a zigzag.
  still = sequences.make_switching_digits(images, labels, n, 0, 0.0)
  assert np.all(still["directions"] == still["directions"][:, :1])
  zigzag = sequences.make_switching_digits(images, labels, n, 0, 1.0)
  np.testing.assert_array_equal(zigzag["directions"][:, 1:],
                                -zigzag["directions"][:, :-1])
  with pytest.raises(UserError, match="switch_prob must be in"):
    sequences.make_switching_digits(images, labels, 3, 0, 1.5)


@pytest.mark.parametrize("prob", [0.1, 0.35])
def test_switching_digits_reverse_as_often_as_the_config_says(prob):
  """Loaded the way a run loads them (config.data.switch_prob), the
  fraction of reversals among 4,000 x 19 moves is within 4 standard errors
  of the configured probability."""
  from unsup_jax import configs
  from unsup_jax.configs import tdvae
  from unsup_jax.data import loader
  config = tdvae.config()
  config.data.update(name="switching_digits", switch_prob=prob)
  configs.validate(config)
  ds = loader.load_dataset(config)
  assert ds.meta["switch_prob"] == prob
  directions = ds.split("train")["directions"]
  flips = directions[:, 1:] != directions[:, :-1]
  error = np.sqrt(prob * (1 - prob) / flips.size)
  assert abs(flips.mean() - prob) < 4 * error
  # Reversals are independent of the step: each step's rate alike.
  per_step = flips.mean(0)
  assert np.all(np.abs(per_step - prob) < 4 * np.sqrt(
      prob * (1 - prob) / flips.shape[0]))


@pytest.mark.parametrize("prob", [0.0, 0.2, 0.5, 0.9])
def test_switching_displacement_is_the_brute_force_distribution(prob):
  """Against every pattern of reversals over `jump` moves, weighed by its
  probability, summed by displacement."""
  import itertools
  for jump in range(1, 6):
    expected = np.zeros(2 * jump + 1)
    for flips in itertools.product((0, 1), repeat=jump):
      weight = np.prod([prob if f else 1 - prob for f in flips])
      direction, moved = 1, 0
      for f in flips:
        direction = -direction if f else direction
        moved += direction
      expected[moved + jump] += weight
    np.testing.assert_allclose(sequences.switching_displacement(prob, jump),
                               expected, rtol=1e-12, atol=1e-15)


def test_switching_digits_move_as_the_exact_distribution_says(digits):
  """The generator's displacements d steps ahead, relative to the last
  move, have the distribution `switching_displacement` gives."""
  images, labels = digits
  d = sequences.make_switching_digits(images, labels, 3000, seed=5,
                                      switch_prob=0.25)
  t = 8
  for jump in (1, 3):
    moved = (d["offset"][:, t + jump] - d["offset"][:, t] + 14) % 28 - 14
    moved = moved * d["directions"][:, t]
    counts = np.bincount(moved + jump, minlength=2 * jump + 1) / len(moved)
    expected = sequences.switching_displacement(0.25, jump)
    np.testing.assert_allclose(counts, expected, atol=4 * np.sqrt(
        0.25 / len(moved)))


def test_moving_digits_cycle_their_sources(digits):
  images, labels = digits
  d = sequences.make_moving_digits(images[:10], labels[:10], 25, seed=2,
                                   length=3)
  assert d["frames"].shape == (25, 3, 28, 28, 1)
  np.testing.assert_array_equal(np.sort(d["source"][:10]), np.arange(10))
  np.testing.assert_array_equal(d["source"][10:20], d["source"][:10])


# ------------------------------------------------------ bouncing balls --

def test_ball_states_reproduce_their_frames_and_obey_the_box():
  d = sequences.make_bouncing_balls(200, seed=0)
  frames, s = d["frames"], d["states"]
  assert frames.shape == (200, 20, 24, 24, 1) and frames.dtype == np.float32
  assert s.shape == (200, 20, 3, 4) and s.dtype == np.float32
  np.testing.assert_array_equal(sequences.render_balls(s[..., :2]), frames)
  assert frames.min() == 0.0 and frames.max() == 1.0
  assert np.all((s[..., :2] >= R) & (s[..., :2] <= SIZE - R))
  np.testing.assert_allclose(np.hypot(s[..., 2], s[..., 3]), 1.0, atol=1e-6)
  # One step: move, then mirror whatever passed a wall and flip its
  # velocity component.
  pos, vel = s[:, :-1, :, :2].astype(np.float64), s[:, :-1, :, 2:]
  moved = pos + vel
  low, high = moved < R, moved > SIZE - R
  assert low.sum() > 100 and high.sum() > 100          # many bounces
  expected = np.where(low, 2 * R - moved,
                      np.where(high, 2 * (SIZE - R) - moved, moved))
  np.testing.assert_allclose(s[:, 1:, :, :2], expected, atol=1e-5)
  np.testing.assert_array_equal(s[:, 1:, :, 2:],
                                np.where(low | high, -vel, vel))


def test_a_ball_moving_into_a_wall_comes_back():
  position = np.array([[[3.0, 12.0], [21.0, 3.0], [12.0, 12.0]]])
  velocity = np.array([[[-1.0, 0.0], [0.6, -0.8], [0.0, 1.0]]])
  s = sequences.simulate_balls(position, velocity, length=4)
  assert s.shape == (1, 4, 3, 4)
  # Left wall: 3 -> 2 is past r = 2.5, mirrored to 3, then moves right.
  np.testing.assert_allclose(s[0, :, 0, 0], [3.0, 3.0, 4.0, 5.0])
  np.testing.assert_allclose(s[0, :, 0, 2], [-1.0, 1.0, 1.0, 1.0])
  # Corner: x 21.6 -> mirrored 21.4 at step 1 (vx flips), y 2.2 -> 2.8.
  np.testing.assert_allclose(s[0, 1, 1], [21.4, 2.8, -0.6, 0.8])
  np.testing.assert_allclose(s[0, :, 2, 1], [12.0, 13.0, 14.0, 15.0])


def test_ball_rendering_is_anti_aliased_and_does_not_depend_on_the_chunk(
    monkeypatch):
  frame = sequences.render_balls(np.array([[12.5, 6.5]]))[..., 0]
  assert frame.shape == (24, 24)
  assert frame[6, 12] == 1.0                           # the centre's pixel
  assert frame[6, 15] == 0.0                           # distance 3 = r + 0.5
  np.testing.assert_allclose(frame[6, 14], 1.0)        # distance 2
  np.testing.assert_allclose(frame[8, 14], 3.0 - np.sqrt(8), rtol=1e-6)
  assert frame[:, :8].max() == 0.0 and frame[12:].max() == 0.0
  # The maximum over balls, not the sum.
  two = sequences.render_balls(np.array([[12.5, 6.5], [13.5, 6.5]]))
  assert two.max() == 1.0
  positions = np.random.default_rng(0).uniform(R, SIZE - R, (5, 7, 3, 2))
  whole = sequences.render_balls(positions)
  assert whole.shape == (5, 7, 24, 24, 1)
  monkeypatch.setattr(sequence_render, "RENDER_CHUNK", 3 * 576 * 4)
  np.testing.assert_array_equal(sequences.render_balls(positions), whole)


# ---------------------------------------------------------- oscillator --

def test_oscillator_starts_in_its_stationary_distribution():
  m = sequences.oscillator_model()
  assert set(m) == {"transition", "process_cov", "observation",
                    "observation_cov", "initial_mean", "initial_cov"}
  assert all(v.dtype == np.float64 for v in m.values())
  a, q, p = m["transition"], m["process_cov"], m["initial_cov"]
  np.testing.assert_allclose(a @ p @ a.T + q, p, rtol=1e-12, atol=1e-15)
  assert p[0, 0] == 1.0 and m["observation_cov"][0, 0] == pytest.approx(0.09)
  # A turns the phase plane by 2 pi / 16 and shrinks it by 0.97 a step.
  eigenvalues = np.linalg.eigvals(a)
  np.testing.assert_allclose(np.abs(eigenvalues), 0.97)
  np.testing.assert_allclose(np.abs(np.angle(eigenvalues)), 2 * np.pi / 16)


def test_oscillator_samples_follow_the_model():
  m = sequences.oscillator_model()
  a, q = m["transition"], m["process_cov"]
  d = sequences.make_oscillator(2000, seed=0)
  y, s = d["frames"].astype(np.float64), d["states"].astype(np.float64)
  assert d["frames"].shape == (2000, 40, 1) and d["states"].shape == (2000,
                                                                       40, 2)
  # Process noise s_{t+1} - A s_t: mean 0, covariance Q, within 4 standard
  # errors of n = 78,000 independent draws (var(x^2) = 2 sigma^4 under a
  # Gaussian; var(x0 x1) = q00 q11 when they are independent).
  w = (s[:, 1:] - s[:, :-1] @ a.T).reshape(-1, 2)
  n = len(w)
  sd = np.sqrt(np.diag(q))
  np.testing.assert_array_less(np.abs(w.mean(0)), 4 * sd / np.sqrt(n))
  cov = w.T @ w / n
  np.testing.assert_array_less(np.abs(np.diag(cov) - np.diag(q)),
                               4 * np.diag(q) * np.sqrt(2 / n))
  assert abs(cov[0, 1]) < 4 * sd[0] * sd[1] / np.sqrt(n)
  # Observation noise: std 0.3 (the std's standard error is 0.3 / sqrt(2n)).
  v = (y - s @ m["observation"].T).ravel()
  assert abs(v.std() - 0.3) < 4 * 0.3 / np.sqrt(2 * len(v))
  assert abs(v.mean()) < 4 * 0.3 / np.sqrt(len(v))
  # Stationary: E[position^2] = 1 and E[velocity^2] = w^2 at every step
  # (2,000 sequences: standard error sqrt(2 / 2000) of the variance).
  w2 = (2 * np.pi / 16) ** 2
  se = np.sqrt(2 / len(s))
  np.testing.assert_array_less(np.abs((s[..., 0] ** 2).mean(0) - 1), 4 * se)
  np.testing.assert_array_less(np.abs((s[..., 1] ** 2).mean(0) - w2),
                               4 * w2 * se)


# ------------------------------------------------------------ datasets --

@pytest.mark.parametrize("name,frame,states", [
    ("moving_digits", (20, 28, 28, 1),
     {"label": (), "direction": (), "offset": (20,), "source": ()}),
    ("switching_digits", (20, 28, 28, 1),
     {"label": (), "directions": (20,), "offset": (20,), "source": ()}),
    ("oscillator", (40, 1), {"states": (40, 2)}),
    ("bouncing_balls", (20, 24, 24, 1), {"states": (20, 3, 4)}),
])
def test_sequence_datasets_load_at_the_sizes_asked_for(name, frame, states):
  ds = sources.load(name, num_train=12, num_test=5)
  assert ds.name == name and set(ds.splits) == {"train", "test"}
  assert ds.meta["sequence_length"] == frame[0]
  for split, n in (("train", 12), ("test", 5)):
    features = ds.split(split)
    assert set(features) == {"frames", *states}
    assert features["frames"].shape == (n,) + frame
    assert features["frames"].dtype == np.float32
    for key, shape in states.items():
      assert features[key].shape == (n,) + shape
    assert not features["frames"].flags.writeable
  assert ds is sources.load(name, num_train=12, num_test=5)    # cached
  assert not np.array_equal(ds.split("train")["frames"][:5],
                            ds.split("test")["frames"])
  for bad in ({"num_train": 0}, {"num_test": -3}, {"num_train": 1.5}):
    with pytest.raises(UserError, match="must be a positive integer"):
      sources.load(name, **bad)
  with pytest.raises(UserError, match="must be a positive integer"):
    sequences.load(name, num_train=0)


def test_sequence_dataset_metadata():
  digits = sources.load("moving_digits", num_train=3, num_test=2)
  assert digits.num_classes == 10
  test = digits.split("test")
  mnist_test = sources.load("mnist5k").split("test")
  np.testing.assert_array_equal(test["frames"],
                                sequences.render_moving_digits(
                                    mnist_test["image"], test["source"],
                                    test["offset"]))
  oscillator = sources.load("oscillator", num_train=3, num_test=2)
  model = oscillator.meta["state_space_model"]
  for key, value in sequences.oscillator_model().items():
    np.testing.assert_array_equal(model[key], value)
  assert not model["transition"].flags.writeable
  for name in sequences.SEQUENCE_DATASETS:
    assert name in sources.OFFLINE_DATASETS
    assert sequences.is_sequence(name)
  assert not sequences.is_sequence("mnist5k")
  with pytest.raises(UserError, match="bouncing_balls"):
    sources.load("moving_mnist")
  with pytest.raises(UserError, match="num must be a positive integer"):
    sequences.make_bouncing_balls(0, seed=0)


# ------------------------------------------------------ tfds:moving_mnist --

@pytest.fixture(name="tfds")
def _tfds():
  return pytest.importorskip("tensorflow_datasets")


def test_tfds_moving_mnist_is_divided_nine_to_one(tfds):
  with tfds.testing.mock_data(num_examples=20):
    ds = sources.load("tfds:moving_mnist")
    small = sources.load("tfds:moving_mnist", num_train=5, num_test=1)
  assert ds.name == "tfds:moving_mnist" and ds.meta["sequence_length"] == 20
  train, test = ds.split("train")["frames"], ds.split("test")["frames"]
  assert train.shape == (18, 20, 64, 64, 1) and test.shape == (2, 20, 64, 64, 1)
  for frames in (train, test):
    assert frames.dtype == np.float32
    assert frames.min() >= 0 and 0.5 < frames.max() <= 1
  np.testing.assert_array_equal(small.split("train")["frames"], train[:5])
  np.testing.assert_array_equal(small.split("test")["frames"], test[:1])
  with tfds.testing.mock_data(num_examples=1):
    with pytest.raises(UserError, match="1 sequences: too few") as info:
      sources.load("tfds:moving_mnist")
  assert "\n" not in str(info.value)


def test_tfds_moving_mnist_of_known_size_reads_only_what_it_keeps(tfds):
  """The path of the prepared set, whose size is known: a stand-in builder
  with 23 sequences, read 4 at a time."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  del tfds
  videos = np.random.default_rng(0).integers(
      0, 256, (23, 20, 64, 64, 1)).astype(np.uint8)
  builder = types.SimpleNamespace(
      name="moving_mnist",
      info=types.SimpleNamespace(
          splits={"test": types.SimpleNamespace(num_examples=23)}),
      as_dataset=lambda split, batch_size: tf.data.Dataset.from_tensor_slices(
          {"image_sequence": videos}).batch(batch_size))
  ds = sequences.load_tfds_moving_mnist(builder, None, None, chunk=4)
  np.testing.assert_array_equal(ds.split("train")["frames"],
                                videos[:21].astype(np.float32) / 255)
  np.testing.assert_array_equal(ds.split("test")["frames"],
                                videos[21:].astype(np.float32) / 255)
  ds = sequences.load_tfds_moving_mnist(builder, 6, 1, chunk=4)
  np.testing.assert_array_equal(ds.split("train")["frames"],
                                videos[:6].astype(np.float32) / 255)
  np.testing.assert_array_equal(ds.split("test")["frames"],
                                videos[21:22].astype(np.float32) / 255)
