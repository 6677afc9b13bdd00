"""Linear probes: how much a few labels can do with a learned representation.

A multinomial logistic regression (softmax regression) is fitted on the codes
of a small, class-balanced labelled subset of the training set and scored on
the whole test set; the same probe on raw pixels is the baseline. A frozen
encoder "helps" when its codes beat the pixels at equal labels. This is the
M1 evaluation of Kingma et al. (2014), "Semi-supervised learning with deep
generative models", arXiv:1406.5298 (a classifier on frozen VAE features),
with the linear classifier of the linear-evaluation protocol of
representation learning (e.g. Oord et al. 2018, arXiv:1807.03748).

The probe minimises the L2-regularised mean cross-entropy

  J(W, b) = 1/N sum_n -log softmax(W^T s(x_n) + b)_{y_n} + l2/2 ||W||^2,

(bias not penalised) on features s(x) standardised with the mean and standard
deviation of the labelled examples only; features constant on them are
dropped (scale 0). J is strictly convex in W, so full-batch L-BFGS
(`optax.lbfgs`, zoom line search, Nocedal & Wright 1999) from zero finds its
unique minimum deterministically. `l2` is chosen from `L2_GRID` by stratified
K-fold cross-validation on the labelled subset alone (never the test set);
all K x |grid| fits share one compiled program.
"""

import functools
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax

from unsup_jax.data.streams import balanced_rows
from unsup_jax.errors import UserError
from unsup_jax.eval.batched import map_batches

# Candidate L2 strengths, strongest first (ties in CV accuracy go to the
# strongest). On standardised features l2 = 1/N is scikit-learn's C = 1.
L2_GRID = (1.0, 1e-1, 1e-2, 1e-3)
NUM_FOLDS = 4
MAX_STEPS = 300
# L-BFGS stops once the gradient's L2 norm is below this.
GRAD_TOL = 1e-5
# A feature whose standard deviation is below this fraction of its mean
# magnitude is constant up to float32 rounding.
_CONSTANT_RTOL = 1e-5
_PROBE_KEY = re.compile(r"probe_acc_(pixels_)?(\d+)$")


def _standardiser(x, weights):
  """Weighted mean `[D]` and inverse std `[D]` (0 for constant features)."""
  w = weights / jnp.sum(weights)
  mean = w @ x
  std = jnp.sqrt(w @ jnp.square(x - mean))
  varies = std > _CONSTANT_RTOL * jnp.abs(mean) + 1e-30
  return mean, jnp.where(varies, 1.0 / jnp.where(varies, std, 1.0), 0.0)


def _logits(params, x):
  return ((x - params["mean"]) * params["scale"]) @ params["w"] + params["b"]


def regularised_loss(params: dict, x: jax.Array, y: jax.Array, *, l2,
                     weights: jax.Array | None = None) -> jax.Array:
  """J(W, b) above, the features standardised by `params`' statistics.

  Args:
    params: `{"w": [D, C], "b": [C], "mean": [D], "scale": [D]}`.
    x: `[N, D]` features.
    y: `[N]` int labels in [0, C).
    l2: the L2 strength on `w`.
    weights: optional `[N]` non-negative example weights (0 = left out).

  Returns:
    The scalar loss.
  """
  if weights is None:
    weights = jnp.ones(x.shape[0], jnp.float32)
  log_p = jax.nn.log_softmax(_logits(params, x))
  nll = -jnp.take_along_axis(log_p, y[:, None], axis=1)[:, 0]
  return (jnp.sum(weights * nll) / jnp.sum(weights)
          + 0.5 * l2 * jnp.sum(jnp.square(params["w"])))


@functools.partial(jax.jit,
                   static_argnames=("num_classes", "steps", "standardise"))
def _fit(x, y, weights, l2, *, num_classes, steps, standardise):
  """One probe (standardise, then L-BFGS to convergence or `steps`)."""
  x = x.astype(jnp.float32)
  if standardise:
    mean, scale = _standardiser(x, weights)
  else:
    mean, scale = jnp.zeros(x.shape[1]), jnp.ones(x.shape[1])
  frozen = {"mean": mean, "scale": scale}
  loss = lambda p: regularised_loss(dict(p, **frozen), x, y, l2=l2,
                                    weights=weights)
  solver = optax.lbfgs()
  value_and_grad = optax.value_and_grad_from_state(loss)
  init = {"w": jnp.zeros((x.shape[1], num_classes), jnp.float32),
          "b": jnp.zeros((num_classes,), jnp.float32)}

  def body(carry):
    params, state, i, _ = carry
    value, grad = value_and_grad(params, state=state)
    updates, state = solver.update(grad, state, params, value=value,
                                   grad=grad, value_fn=loss)
    return (optax.apply_updates(params, updates), state, i + 1,
            optax.tree.norm(grad))

  def unfinished(carry):
    _, _, i, grad_norm = carry
    return (i < steps) & (grad_norm > GRAD_TOL)

  params, _, _, _ = jax.lax.while_loop(
      unfinished, body, (init, solver.init(init), 0, jnp.inf))
  return dict(params, **frozen)


def fit_logistic_regression(x, y, *, num_classes: int, l2: float,
                            steps: int = MAX_STEPS, weights=None,
                            standardise: bool = True) -> dict:
  """Fits the L2-regularised softmax regression J above.

  Args:
    x: `[N, D]` features (standardised here with their own statistics,
      unless `standardise` is false: then s(x) = x, mean 0 and scale 1).
    y: `[N]` int labels in [0, num_classes).
    num_classes: C.
    l2: L2 strength on the weights (not the bias); must be > 0.
    steps: most L-BFGS iterations (it stops earlier once converged).
    weights: optional `[N]` example weights; 0 leaves an example out of the
      fit and of the standardisation statistics.

  Returns:
    `{"w": [D, C], "b": [C], "mean": [D], "scale": [D]}`.
  """
  if l2 <= 0:
    raise UserError(f"probe l2 must be positive, got {l2!r}")
  x = jnp.asarray(x, jnp.float32)
  weights = (jnp.ones(x.shape[0], jnp.float32) if weights is None
             else jnp.asarray(weights, jnp.float32))
  return _fit(x, jnp.asarray(y, jnp.int32), weights,
              jnp.float32(l2), num_classes=num_classes, steps=steps,
              standardise=standardise)


@jax.jit
def predict(params: dict, x: jax.Array) -> jax.Array:
  """`[N]` predicted classes of `[N, D]` features."""
  return jnp.argmax(_logits(params, jnp.asarray(x, jnp.float32)), axis=-1)


def _fold_ids(labels: np.ndarray, num_folds: int, seed: int) -> np.ndarray:
  """Stratified fold of each example: rank within its class mod K."""
  rng = np.random.default_rng(seed)
  folds = np.empty(labels.shape[0], np.int32)
  for c in np.unique(labels):
    members = rng.permutation(np.flatnonzero(labels == c))
    folds[members] = np.arange(members.size) % num_folds
  return folds


def select_l2(x, y, *, num_classes: int, seed: int = 0,
              grid=L2_GRID, num_folds: int = NUM_FOLDS,
              steps: int = MAX_STEPS,
              standardise: bool = True) -> tuple[float, np.ndarray]:
  """The l2 in `grid` of best stratified K-fold CV accuracy on (x, y).

  Args:
    x: `[N, D]` features of the labelled subset only.
    y: `[N]` their labels.
    num_classes: C.
    seed: fold assignment seed.
    grid: candidate l2 values; ties go to the first (list strongest first).
    num_folds: K; every class needs at least K examples.
    steps: most L-BFGS iterations per fit.
    standardise: as in `fit_logistic_regression`.

  Returns:
    (chosen l2, `[G]` mean held-out accuracy per grid value).
  """
  x = jnp.asarray(x, jnp.float32)
  y = np.asarray(y, np.int32)
  folds = _fold_ids(y, num_folds, seed)
  # One compiled fit serves every (fold, l2): the fold enters as weights and
  # l2 as a traced scalar. (A vmap over them is far slower: the batched
  # while-loops and line searches run until the slowest member finishes.)
  acc = np.zeros((num_folds, len(grid)))
  for k in range(num_folds):
    held = folds == k
    for g, l2 in enumerate(grid):
      params = fit_logistic_regression(x, y, num_classes=num_classes, l2=l2,
                                       steps=steps, weights=~held,
                                       standardise=standardise)
      acc[k, g] = np.mean(np.asarray(predict(params, x[held])) == y[held])
  mean_acc = acc.mean(axis=0)
  return float(grid[int(np.argmax(mean_acc))]), mean_acc


def _flat(x) -> np.ndarray:
  x = np.asarray(x, np.float32)
  return x.reshape(x.shape[0], -1)


def probe_metrics(train_codes, train_labels, test_codes, test_labels, *,
                  label_counts=(100, 1000), raw_train=None, raw_test=None,
                  seed: int = 0) -> dict:
  """Test accuracy of linear probes on codes (and pixels) for few labels.

  For each n in `label_counts`, the same class-balanced n training examples
  (`data.streams.balanced_rows(train_labels, n, seed=seed)`) train a probe on the codes
  and, when `raw_train`/`raw_test` are given, one on the flattened raw
  inputs; l2 is chosen by `select_l2` on those n examples alone. Counts
  larger than the training set, too small to give every class `NUM_FOLDS`
  examples, or needing more examples of a class than it has, are skipped. A dataset without labels (any label < 0) gives {}.

  Args:
    train_codes: `[N, ...]` training representations.
    train_labels: `[N]` int labels.
    test_codes: `[M, ...]` test representations.
    test_labels: `[M]` int labels.
    label_counts: labelled-subset sizes.
    raw_train: optional `[N, ...]` raw training inputs (e.g. images).
    raw_test: optional `[M, ...]` raw test inputs.
    seed: subset and fold seed.

  Returns:
    `{"probe_acc_{n}": float, "probe_l2_{n}": float}` and, with raw inputs,
    `probe_acc_pixels_{n}`, `probe_l2_pixels_{n}`.
  """
  train_labels = np.asarray(train_labels, np.int32)
  test_labels = np.asarray(test_labels, np.int32)
  if train_labels.size == 0 or min(train_labels.min(), test_labels.min()) < 0:
    return {}
  num_classes = int(max(train_labels.max(), test_labels.max())) + 1
  features = {"": (_flat(train_codes), _flat(test_codes))}
  if raw_train is not None and raw_test is not None:
    features["pixels_"] = (_flat(raw_train), _flat(raw_test))
  metrics = {}
  for n in label_counts:
    per_class = np.bincount(train_labels, minlength=num_classes)
    if (n > train_labels.shape[0] or n // num_classes < NUM_FOLDS or
        per_class.min() < n // num_classes):
      continue
    subset = balanced_rows(train_labels, n, seed=seed,
                           num_classes=num_classes)
    y = train_labels[subset]
    for prefix, (train_x, test_x) in features.items():
      l2, _ = select_l2(train_x[subset], y, num_classes=num_classes,
                        seed=seed)
      params = fit_logistic_regression(train_x[subset], y,
                                       num_classes=num_classes, l2=l2)
      hits = np.asarray(predict(params, test_x)) == test_labels
      metrics[f"probe_acc_{prefix}{n}"] = float(hits.mean())
      metrics[f"probe_l2_{prefix}{n}"] = l2
  return metrics


def probe_table(metrics: dict) -> str:
  """Markdown `| labels | codes | pixels |` from `probe_metrics` output.

  Keys may carry a prefix (`test_probe_acc_100`); '' if there are none.
  """
  rows: dict[int, dict[str, float]] = {}
  for key, value in metrics.items():
    match = _PROBE_KEY.search(key)
    if match:
      column = "pixels" if match.group(1) else "codes"
      rows.setdefault(int(match.group(2)), {})[column] = float(value)
  if not rows:
    return ""
  cell = lambda row, col: f"{row[col]:.3f}" if col in row else "-"
  lines = ["| labels | codes | pixels |", "| ---: | ---: | ---: |"]
  lines += [f"| {n} | {cell(rows[n], 'codes')} | {cell(rows[n], 'pixels')} |"
            for n in sorted(rows)]
  return "\n".join(lines)


PROBE_NOTE = ("Linear probes (`eval/probes.py`): softmax regression on the "
              "codes of n class-balanced labelled training images, beside the "
              "same probe on their pixels; L2 strength by 4-fold "
              "cross-validation on those n only; accuracy on the test set.")


def probe_encoder(encode, test_codes: np.ndarray, data, *, label_counts,
                  batch_size: int, seed: int) -> dict:
  """`probe_metrics` of an encoder: `encode` (`[B, H, W, C] -> [B, D]`)
  maps the training images of the evaluation view `data` to codes, beside
  the given `test_codes`; {} without labels or without `label_counts`."""
  train, test = data.split("train"), data.split("test")
  if not label_counts or "label" not in train or "label" not in test:
    return {}
  train_codes = map_batches(jax.jit(encode), train["image"],
                            batch_size=batch_size)
  return probe_metrics(
      train_codes, train["label"], test_codes, test["label"],
      label_counts=tuple(label_counts), raw_train=train["image"],
      raw_test=test["image"], seed=seed)


def probe_notes(results: dict, outputs: dict | None = None) -> list:
  """The probe table as a report section (empty without probe metrics);
  a `report_notes` of any method that reports probes."""
  del outputs
  table = probe_table(results)
  return [f"### Linear probes\n\n{PROBE_NOTE}\n\n{table}"] if table else []
