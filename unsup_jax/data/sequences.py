"""Sequence datasets for temporal latent variable models, made offline.

Three procedural sets whose examples carry `frames` `[N, T, ...]` float32
together with the hidden states that made them, for the temporal
difference VAE (TD-VAE; Gregor, Papamakarios, Besse, Buesing and Weber,
"Temporal Difference Variational Auto-Encoder", ICLR 2019) and its
baselines:

* `moving_digits`: one mnist5k digit, 28x28, moving left or right by one
  pixel per step with wrap-around (a circular shift), its direction fixed
  per sequence; T = 20. This is the moving-MNIST experiment of the TD-VAE
  paper, in which the model has to infer the direction from two or
  more frames and can then predict arbitrarily far ahead. Hidden states:
  the digit (`source`, `label`), `direction` and per-frame `offset`.
* `switching_digits`: moving digits whose future is uncertain: at every
  step the digit reverses its direction with probability `switch_prob`
  (the data config's `data.switch_prob`), so that d steps ahead it can be
  at any of d + 1 positions, with known probabilities
  (`switching_displacement`). A deterministic predictor can only average
  them (a blur); a generative one can sample them. Hidden states: `source`,
  `label`, per-frame `offset` and `directions` (the move into each frame;
  at t = 0 the direction before the first move).
* `oscillator`: noisy positions of a slightly damped harmonic oscillator,
  a linear-Gaussian state space model (Kalman, "A New Approach to Linear
  Filtering and Prediction Problems", J. Basic Engineering, 1960), so that
  the Kalman filter gives the optimal belief state and the best possible
  prediction, a reference for any learned belief. `oscillator_model()`
  gives its matrices; `frames` `[N, T, 1]` are the observations and
  `states` `[N, T, 2]` the positions and velocities; T = 40.
* `bouncing_balls`: three anti-aliased balls bouncing in a box, 24x24,
  T = 20, after the bouncing-balls videos of Sutskever, Hinton and Taylor,
  "The Recurrent Temporal Restricted Boltzmann Machine" (NIPS 21, 2009),
  a non-linear case. Unlike there, the balls pass through each other (no
  ball-ball collisions), so that every ball moves on its own; `states`
  `[N, T, 3, 4]` hold (x, y, vx, vy) per ball.

Each generator `make_*(num, seed, ...)` is deterministic in its seed and
draws its per-sequence randomness in one call, sequence after sequence, so
that the first n sequences of a seed do not depend on `num`: a smaller
dataset is a prefix of a larger one. The frames are rendered from the states by the
public `render_*` functions (`data/sequence_render.py`), so the states
reproduce the frames exactly. Train and test use seeds 0 and 1 (and for
`moving_digits` mnist5k's train and test digits).

`tfds:moving_mnist` (`load_tfds_moving_mnist`) is the real Moving MNIST of
Srivastava, Mansimov and Salakhutdinov, "Unsupervised Learning of Video
Representations using LSTMs" (ICML 2015): two digits bouncing in 64x64, a
single split of 10,000 sequences of 20 frames, which we divide 9,000 /
1,000. It has no hidden states.
"""

import functools

import numpy as np

from unsup_jax.data.dataset import Dataset
from unsup_jax.data.digit_sequences import (DIGIT_LENGTH, SWITCH_PROB,
                                            check_size, make_moving_digits,
                                            make_switching_digits,
                                            switching_displacement)
from unsup_jax.data.sequence_render import (BALL_RADIUS, BOX_SIZE,
                                            NUM_BALLS, render_balls,
                                            render_moving_digits,
                                            simulate_balls)
from unsup_jax.errors import UserError

__all__ = [
    "SEQUENCE_DATASETS", "is_sequence", "load", "load_tfds_moving_mnist",
    "make_moving_digits", "make_switching_digits", "switching_displacement",
    "render_moving_digits", "oscillator_model",
    "make_oscillator", "make_bouncing_balls", "render_balls",
    "simulate_balls", "BALL_RADIUS", "BOX_SIZE", "NUM_BALLS", "BALL_SPEED",
]

SEQUENCE_DATASETS = ("moving_digits", "switching_digits", "oscillator",
                     "bouncing_balls")
DIGIT_SETS = ("moving_digits", "switching_digits")   # move mnist5k digits
# Default numbers of sequences, and the seeds, of the train and test splits.
DEFAULT_SIZES = {"train": 4_000, "test": 1_000}
SEEDS = {"train": 0, "test": 1}


# The oscillator: period 16 steps, damping 0.97 per step, observation noise
# std 0.3; the state starts in its stationary distribution.
OSCILLATOR_LENGTH = 40
OSCILLATOR_PERIOD = 16
OSCILLATOR_OMEGA = 2 * np.pi / OSCILLATOR_PERIOD
OSCILLATOR_DAMPING = 0.97
OSCILLATOR_OBSERVATION_STD = 0.3

BALLS_LENGTH = 20
BALL_SPEED = 1.0           # pixels per step


def is_sequence(name: str) -> bool:
  """Whether `name` is one of the procedural sequence datasets."""
  return name in SEQUENCE_DATASETS


# ------------------------------------------------------------ oscillator --

def oscillator_model() -> dict:
  """The oscillator's linear-Gaussian state space model (float64 arrays).

  s_{t+1} = A s_t + w_t, w_t ~ N(0, Q); y_t = H s_t + v_t, v_t ~ N(0, R);
  s_1 ~ N(m_1, P_1), with state s = (position, velocity),
  A = rho [[cos w, sin w / w], [-w sin w, cos w]] (a rotation of the
  scaled phase plane, damped by rho), Q = (1 - rho^2) diag(1, w^2),
  H = [[1, 0]], R = [[0.3^2]], m_1 = 0 and P_1 = diag(1, w^2). The
  rotation keeps diag(1, w^2) fixed, so P_1 = A P_1 A^T + Q: the state
  starts in, and stays in, its stationary distribution (position std 1).

  Returns:
    `transition` A `[2, 2]`, `process_cov` Q `[2, 2]`, `observation` H
    `[1, 2]`, `observation_cov` R `[1, 1]`, `initial_mean` m_1 `[2]`,
    `initial_cov` P_1 `[2, 2]`.
  """
  w, rho = OSCILLATOR_OMEGA, OSCILLATOR_DAMPING
  c, s = np.cos(w), np.sin(w)
  stationary = np.diag([1.0, w * w])
  return {
      "transition": rho * np.array([[c, s / w], [-w * s, c]]),
      "process_cov": (1.0 - rho * rho) * stationary,
      "observation": np.array([[1.0, 0.0]]),
      "observation_cov": np.array([[OSCILLATOR_OBSERVATION_STD ** 2]]),
      "initial_mean": np.zeros(2),
      "initial_cov": stationary.copy(),
  }


def make_oscillator(num: int, seed: int,
                    length: int = OSCILLATOR_LENGTH) -> dict:
  """Sequences sampled from `oscillator_model()` (in float64).

  Args:
    num: number of sequences.
    seed: the seed of `np.random.default_rng`.
    length: steps per sequence, T.

  Returns:
    `frames` `[num, T, 1]` float32, the observed positions y_t, and
    `states` `[num, T, 2]` float32, the hidden (position, velocity) s_t.
  """
  num, length = check_size("num", num), check_size("length", length)
  model = oscillator_model()
  a, h = model["transition"], model["observation"]
  # One call: per sequence and step, two state noises (the initial state's
  # at t = 0, the process noise after) and one observation noise.
  noise = np.random.default_rng(seed).standard_normal((num, length, 3))
  init_factor = np.linalg.cholesky(model["initial_cov"])
  process_factor = np.linalg.cholesky(model["process_cov"])
  states = np.empty((num, length, 2))
  states[:, 0] = model["initial_mean"] + noise[:, 0, :2] @ init_factor.T
  for t in range(1, length):
    states[:, t] = states[:, t - 1] @ a.T + noise[:, t, :2] @ process_factor.T
  observation_std = np.sqrt(model["observation_cov"][0, 0])
  frames = states @ h.T + observation_std * noise[..., 2:]
  return {"frames": frames.astype(np.float32),
          "states": states.astype(np.float32)}


# -------------------------------------------------------- bouncing balls --

def make_bouncing_balls(num: int, seed: int,
                        length: int = BALLS_LENGTH) -> dict:
  """Three balls bouncing in a 24x24 box, passing through each other.

  Each ball starts at a position uniform in [r, 24 - r]^2 (r = 2.5) with
  speed 1 pixel per step in a uniform direction, and reflects elastically
  off the walls (`simulate_balls`); frames are rendered by `render_balls`
  from the float32 positions.

  Args:
    num: number of sequences.
    seed: the seed of `np.random.default_rng`.
    length: frames per sequence, T.

  Returns:
    `frames` `[num, T, 24, 24, 1]` float32 in [0, 1] and `states`
    `[num, T, 3, 4]` float32, (x, y, vx, vy) of every ball (the velocity
    after any reflection at that step: the next step's displacement).
  """
  num, length = check_size("num", num), check_size("length", length)
  u = np.random.default_rng(seed).random((num, NUM_BALLS, 3))
  position = BALL_RADIUS + u[..., :2] * (BOX_SIZE - 2 * BALL_RADIUS)
  angle = 2 * np.pi * u[..., 2]
  velocity = BALL_SPEED * np.stack([np.cos(angle), np.sin(angle)], -1)
  states = simulate_balls(position, velocity, length).astype(np.float32)
  return {"frames": render_balls(states[..., :2]), "states": states}


# -------------------------------------------------------------- datasets --

def load(name: str, num_train: int | None = None,
         num_test: int | None = None, *,
         digits: Dataset | None = None,
         switch_prob: float = SWITCH_PROB) -> Dataset:
  """The sequence dataset `name` with `num_train` / `num_test` sequences
  (default 4,000 / 1,000), train from seed 0 and test from seed 1;
  `moving_digits` and `switching_digits` move the images of `digits`
  (mnist5k, whose train and test digits make the train and test
  sequences), the latter reversing with probability `switch_prob` per
  step.

  Returns:
    A Dataset with splits "train" and "test" of `frames` `[N, T, ...]`
    float32 and the hidden states of the generator (see `make_*`).
  """
  if not is_sequence(name):
    raise UserError(f"unknown sequence dataset {name!r}; choose "
                    f"{', '.join(SEQUENCE_DATASETS)}")
  sizes = {"train": num_train, "test": num_test}
  sizes = {s: check_size(f"num_{s}", n) if n is not None
           else DEFAULT_SIZES[s] for s, n in sizes.items()}
  if name in DIGIT_SETS:
    if digits is None:
      raise ValueError(f"{name} needs the digits it moves")
    make = (make_moving_digits if name == "moving_digits" else
            functools.partial(make_switching_digits, switch_prob=switch_prob))
    splits = {s: make(digits.split(s)["image"], digits.split(s)["label"], n,
                      SEEDS[s]) for s, n in sizes.items()}
    meta = {} if name == "moving_digits" else {"switch_prob": switch_prob}
    return Dataset.create(name, splits, num_classes=10,
                          sequence_length=DIGIT_LENGTH, **meta)
  if name == "oscillator":
    splits = {s: make_oscillator(n, SEEDS[s]) for s, n in sizes.items()}
    model = oscillator_model()
    for array in model.values():
      array.flags.writeable = False
    return Dataset.create(name, splits, sequence_length=OSCILLATOR_LENGTH,
                          state_space_model=model)
  splits = {s: make_bouncing_balls(n, SEEDS[s]) for s, n in sizes.items()}
  return Dataset.create(name, splits, sequence_length=BALLS_LENGTH)


MOVING_MNIST_LENGTH = 20
MOVING_MNIST_TEST_FRACTION = 10    # our test split: the last N // 10


def load_tfds_moving_mnist(builder, num_train: int | None,
                           num_test: int | None, chunk: int) -> Dataset:
  """`tfds:moving_mnist`: its single split "test" divided in two.

  The set's N sequences (10,000) are read `chunk` at a time; the last
  max(1, N // 10) are our "test" split and the rest "train" (9,000 /
  1,000), each truncated to `num_train` / `num_test` if given; only the
  kept sequences are converted to float. It has no hidden states.

  Args:
    builder: the prepared tensorflow-datasets builder.
    num_train: keep at most this many training sequences (None: all).
    num_test: keep at most this many test sequences (None: all).
    chunk: sequences per chunk read.

  Returns:
    A Dataset whose splits hold `frames` `[N, 20, 64, 64, 1]` float32 in
    [0, 1].

  Raises:
    UserError: the set has fewer than two sequences.
  """
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  name = f"tfds:{builder.name}"
  chunks = tfds.as_numpy(builder.as_dataset(split="test", batch_size=chunk))
  info = builder.info.splits
  if "test" in info:
    total = int(info["test"].num_examples)
  else:        # size unknown (`tfds.testing.mock_data`): read it all first
    chunks = list(chunks)
    total = sum(len(batch["image_sequence"]) for batch in chunks)
  if total < 2:
    raise UserError(f"dataset {name!r} has {total} sequences: too few for a "
                    f"train and a test split")
  first_test = total - max(1, total // MOVING_MNIST_TEST_FRACTION)
  wanted = {"train": (0, min(first_test, num_train or total)),
            "test": (first_test,
                     min(total, first_test + (num_test or total)))}
  kept = {"train": [], "test": []}
  start, end = 0, max(hi for _, hi in wanted.values())
  for batch in chunks:
    if start >= end:       # nothing more to keep
      break
    frames = batch["image_sequence"]
    for split, (lo, hi) in wanted.items():
      rows = slice(max(lo - start, 0), max(min(hi - start, len(frames)), 0))
      if rows.stop > rows.start:
        kept[split].append(frames[rows].astype(np.float32) / np.float32(255))
    start += len(frames)
  splits = {s: {"frames": np.concatenate(v)} for s, v in kept.items()}
  return Dataset.create(name, splits, sequence_length=MOVING_MNIST_LENGTH)
