"""Semi-supervised learning with deep generative models: M1, M2 and M1+M2
(Kingma, Rezende, Mohamed & Welling 2014, arXiv:1406.5298), and the
supervised-only baseline they are measured against.

Each step draws two streams (`configs/semi_supervised.py`): "labelled", a
class-balanced subset of the training split fixed by the run's seed, and
"unlabelled", the rest of it (or part of the rest).

* `supervised`: q(y | x) (`models/semi_supervised.Classifier`) trained by
  cross-entropy on the labelled stream alone, for `train.num_steps` steps
  (M2's budget); the final parameters are scored, nothing is selected on
  held-out data.
* `m1`: phase "m1" trains a VAE (`methods/vae.py`'s networks and ELBO) on
  the images of both streams; hook "classifier" fits the linear probe of
  `eval/probes.py` (softmax regression, L2 chosen by cross-validation on
  the labelled examples alone) on the labelled examples' posterior means.
* `m2`: q(y | x), q(z | x, y), p(x | y, z) on the pixels; each step
  minimises `losses/semi_supervised.m2_loss`: the labelled bound, the
  unlabelled bound with y summed out over all K classes at once (the
  encoder and decoder run on a `[B, K]` grid), and alpha times the
  cross-entropy, alpha = `alpha_scale` x N.
* `m1m2`: phase "m1" as for M1, then M2 (Gaussian p(z1 | y, z2)) on codes
  z1 drawn from the frozen M1 encoder's q(z1 | x) at every step; test
  images are classified from their posterior means.

Evaluation: test accuracy and error, accuracy on the labelled examples,
the confusion matrix, for M2 and M1+M2 the test unlabelled bound and the
conditional generation figure (rows: the style z of a test image; columns:
the classes y), and exports of every test prediction (`predictions.npz`)
and of the labelled subset (`labelled.npz`).
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.errors import UserError
from unsup_jax.eval import probes
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import semi_supervised as ssl
from unsup_jax.methods import semi_supervised_report as report, \
    vae as vae_method
from unsup_jax.models.semi_supervised import M2, Classifier
from unsup_jax.ops import distributions
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import Hook, Method, Phase
from unsup_jax.viz import semi_supervised as viz_ssl

STREAMS = ("labelled", "unlabelled")
# Key streams of one step's noise.
LABELLED_KEYS, UNLABELLED_KEYS = 1, 2
CODE_KEYS = {"labelled": 3, "unlabelled": 4}


def flat(x: jax.Array) -> jax.Array:
  return x.reshape(x.shape[0], -1).astype(jnp.float32)


def stream_keys(state, x: jax.Array, which: int, axis_name) -> jax.Array:
  """Per-example keys of one stream's batch (pmap draws what jit draws)."""
  return distributions.per_example_keys(
      jax.random.fold_in(step_lib.step_key(state), which), x.shape[0],
      step_lib.example_offset(x.shape[0], axis_name))


# --- the bounds on a batch ------------------------------------------------
def labelled_bounds(model: M2, params, x, labels, keys) -> jax.Array:
  """`[B]` the bound on log p(x, y) of flat `x` with its `labels`."""
  y = jax.nn.one_hot(labels, model.num_classes)
  mean, logvar = model.apply({"params": params}, x, y, method=M2.encode)
  z = jax.vmap(distributions.reparameterize)(keys, mean, logvar)
  decoded = model.apply({"params": params}, z, y, method=M2.decode)
  log_lik = model.apply({"params": params}, x, decoded,
                        method=M2.log_likelihood)
  return ssl.labelled_bound(log_lik, distributions.kl_standard_normal(
      mean, logvar), model.num_classes)


def class_bounds(model: M2, params, x, keys) -> jax.Array:
  """`[B, K]` the bound on log p(x, y) of flat `x` with every class y,
  all at once (x's projection broadcast over the K one-hot rows)."""
  y = jnp.eye(model.num_classes)[None]                      # [1, K, K]
  mean, logvar = model.apply({"params": params}, x[:, None], y,
                             method=M2.encode)              # [B, K, Dz]
  z = jax.vmap(distributions.reparameterize)(keys, mean, logvar)
  decoded = model.apply({"params": params}, z, y, method=M2.decode)
  log_lik = model.apply({"params": params}, x[:, None], decoded,
                        method=M2.log_likelihood)           # [B, K]
  return ssl.labelled_bound(log_lik, distributions.kl_standard_normal(
      mean, logvar), model.num_classes)


def m2_objective(model: M2, params, x_l, labels, x_u, keys_l, keys_u, *,
                 alpha: float):
  """`m2_loss` of a labelled batch (`x_l`, `labels`) and an unlabelled one."""
  classify = functools.partial(model.apply, {"params": params},
                               method=M2.classify)
  return ssl.m2_loss(labelled_bounds(model, params, x_l, labels, keys_l),
                     classify(x_l), labels,
                     class_bounds(model, params, x_u, keys_u), classify(x_u),
                     alpha=alpha)


class SemiSupervised:
  """The four models of the module docstring, built for one config."""

  def __init__(self, config: ml_collections.ConfigDict, spec):
    self.config, self.s, self.v = config, config.semi, config.m1
    self.kind = self.s.model
    self.image_shape = tuple(spec.shape("image", "labelled"))
    spec.shape("label", "labelled")
    self.num_classes = spec.num_classes
    if self.num_classes < 2:
      raise UserError(f"semi-supervised learning needs class labels; "
                      f"dataset {spec.dataset!r} has none")
    self.tx = optim.build(config)
    self.m1_model = vae_method.make_model(self.v, self.image_shape)
    dim = int(np.prod(self.image_shape))
    if self.kind == "m1m2":
      dim = self.v.latent_dim
    self.classifier = Classifier(tuple(self.s.hidden), self.num_classes)
    self.model = M2(tuple(self.s.hidden), self.s.latent_dim,
                    self.num_classes, dim,
                    "gaussian" if self.kind == "m1m2" else "bernoulli")
    self.data_dim = dim
    self.alpha = self.s.alpha_scale * num_examples(config, spec)
    self.recorded = {}

  # --- state ---------------------------------------------------------------
  def init(self, key, batch):
    del batch  # Shapes come from the spec.
    keys = jax.random.split(key, 4)
    params, opt_state = {}, {}
    image = jnp.zeros((1, *self.image_shape))
    if self.kind in ("m1", "m1m2"):
      params["m1"] = self.m1_model.init(keys[0], image)["params"]
    if self.kind == "supervised":
      params["classifier"] = self.classifier.init(
          keys[1], jnp.zeros((1, self.data_dim)))["params"]
    if self.kind in ("m2", "m1m2"):
      params["m2"] = self.model.init(keys[2],
                                     jnp.zeros((1, self.data_dim)))["params"]
    opt_state = {k: self.tx.init(p) for k, p in params.items()}
    extra = {}
    if self.kind == "m1":
      d, k = self.v.latent_dim, self.num_classes
      extra = {"probe": {"w": jnp.zeros((d, k)), "b": jnp.zeros((k,)),
                         "mean": jnp.zeros((d,)), "scale": jnp.zeros((d,))},
               "probe_l2": jnp.zeros(())}
    return state_lib.TrainState(step=jnp.zeros((), jnp.int32), params=params,
                                opt_state=opt_state, key=keys[3], extra=extra)

  # --- steps ---------------------------------------------------------------
  def m1_step(self, state, batch, *, axis_name=None):
    """One ELBO step of M1's VAE on the images of both streams."""
    xs = [batch[n]["image"] for n in STREAMS]
    keys = jnp.concatenate([stream_keys(state, x, i + 1, axis_name)
                            for i, x in enumerate(xs)])
    x = jnp.concatenate(xs)
    beta, capacity = vae_method.kl_weights(state.step, self.v)

    def step(sub):
      def loss_fn(params):
        return vae_method.objective(
            vae_method.posterior_terms(self.m1_model, params, x, keys),
            self.v, beta, capacity, x.shape[0])
      (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
          sub.params)
      return step_lib.apply_gradients(sub, grads, metrics, self.tx,
                                      axis_name=axis_name)
    return step_lib.on_part(state, "m1", step)

  def supervised_step(self, state, batch, *, axis_name=None):
    """Cross-entropy of q(y | x) on the labelled batch."""
    x, labels = flat(batch["labelled"]["image"]), batch["labelled"]["label"]

    def step(sub):
      def loss_fn(params):
        logits = self.classifier.apply({"params": params}, x)
        loss = -jnp.mean(jnp.take_along_axis(
            jax.nn.log_softmax(logits), labels[:, None], axis=-1))
        accuracy = jnp.mean((jnp.argmax(logits, -1) == labels)
                            .astype(jnp.float32))
        return loss, {"loss": loss, "accuracy_labelled": accuracy}
      (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
          sub.params)
      return step_lib.apply_gradients(sub, grads, metrics, self.tx,
                                      axis_name=axis_name)
    return step_lib.on_part(state, "classifier", step)

  def m2_inputs(self, state, batch, axis_name):
    """Flat inputs of M2 per stream: pixels, or (m1m2) codes drawn from the
    frozen M1 encoder's q(z1 | x)."""
    out = []
    for n in STREAMS:
      x = batch[n]["image"]
      if self.kind == "m1m2":
        mean, logvar = self.m1_model.apply(
            {"params": jax.lax.stop_gradient(state.params["m1"])}, x,
            method=self.m1_model.encode)
        keys = stream_keys(state, x, CODE_KEYS[n], axis_name)
        out.append(jax.vmap(distributions.reparameterize)(keys, mean, logvar))
      else:
        out.append(flat(x))
    return out

  def m2_step(self, state, batch, *, axis_name=None):
    """One step of M2's objective on a labelled and an unlabelled batch."""
    x_l, x_u = self.m2_inputs(state, batch, axis_name)
    labels = batch["labelled"]["label"]
    keys_l = stream_keys(state, x_l, LABELLED_KEYS, axis_name)
    keys_u = stream_keys(state, x_u, UNLABELLED_KEYS, axis_name)

    def step(sub):
      (_, metrics), grads = jax.value_and_grad(
          lambda p: m2_objective(self.model, p, x_l, labels, x_u, keys_l,
                                 keys_u, alpha=self.alpha),
          has_aux=True)(sub.params)
      return step_lib.apply_gradients(sub, grads, metrics, self.tx,
                                      axis_name=axis_name)
    return step_lib.on_part(state, "m2", step)

  # --- M1's classifier -----------------------------------------------------
  def codes(self, params, images) -> np.ndarray:
    """M1's posterior means of `images`."""
    fn = jax.jit(lambda x: self.m1_model.apply(
        {"params": params["m1"]}, x, method=self.m1_model.encode)[0])
    return map_batches(fn, images, batch_size=self.config.eval.batch_size)

  def classifier_hook(self, state, data, key):
    """M1's linear classifier on the labelled examples' codes."""
    del key  # Deterministic.
    rows = report.stream_rows(data, self.config)["labelled"]
    train = data.split("train")
    x = self.codes(state.params, train["image"][rows])
    y = np.asarray(train["label"])[rows]
    folds = min(probes.NUM_FOLDS, int(np.bincount(y).min()))
    if folds >= 2:
      l2, _ = probes.select_l2(x, y, num_classes=self.num_classes,
                               seed=self.config.seed, num_folds=folds)
    else:
      l2 = probes.L2_GRID[0]
    fit = probes.fit_logistic_regression(x, y, num_classes=self.num_classes,
                                         l2=l2)
    return state.replace(extra={"probe": fit, "probe_l2": np.float32(l2)})

  # --- evaluation ----------------------------------------------------------
  def inputs_of(self, params, x: jax.Array) -> jax.Array:
    """M2's (or the classifier's) input when evaluating: flat pixels, or
    M1's posterior means (m1m2)."""
    if self.kind == "m1m2":
      return self.m1_model.apply({"params": params["m1"]}, x,
                                 method=self.m1_model.encode)[0]
    return flat(x)

  def logits_fn(self, params):
    """`images -> [B, K]` class scores of the trained model."""
    if self.kind == "supervised":
      return lambda x: self.classifier.apply({"params": params["classifier"]},
                                             flat(x))
    return lambda x: self.model.apply({"params": params["m2"]},
                                      self.inputs_of(params, x),
                                      method=M2.classify)

  def predict(self, state, images) -> np.ndarray:
    if self.kind == "m1":
      codes = self.codes(state.params, images)
      return np.asarray(probes.predict(state.extra["probe"], codes))
    scores = map_batches(jax.jit(self.logits_fn(state.params)), images,
                         batch_size=self.config.eval.batch_size)
    return np.argmax(scores, axis=-1)

  def evaluate(self, state, data, key, *, full: bool):
    test, train = data.split("test"), data.split("train")
    labels = np.asarray(test["label"])
    predicted = self.predict(state, test["image"])
    accuracy = float(np.mean(predicted == labels))
    metrics = {"accuracy": accuracy, "error": 100.0 * (1.0 - accuracy)}
    if not full:
      return metrics, {}
    rows_of = report.stream_rows(data, self.config)
    rows = rows_of["labelled"]
    self.recorded["rows"] = rows
    self.recorded["labels"] = np.asarray(train["label"])[rows]
    seen = self.predict(state, train["image"][rows])
    metrics["labelled_accuracy"] = float(np.mean(
        seen == np.asarray(train["label"])[rows]))
    metrics["num_labelled"] = len(rows)
    metrics["num_unlabelled"] = len(rows_of["unlabelled"])
    if self.kind == "m1":
      metrics["probe_l2"] = float(state.extra["probe_l2"])
    k = self.num_classes
    confusion = np.zeros((k, k), np.int64)
    np.add.at(confusion, (predicted, labels), 1)
    outputs = {"confusion": confusion, "model": self.kind, "exports": {
        "predictions.npz": {"index": np.arange(len(labels)), "label": labels,
                        "predicted": predicted},
        "labelled.npz": {"rows": rows,
                     "label": np.asarray(train["label"])[rows]}}}
    if self.kind in ("m2", "m1m2"):
      metrics["bound_unlabelled"] = self.test_bound(state, test["image"], key)
      outputs["analogies"], outputs["analogy_classes"] = self.analogies(
          state, test["image"][:self.s.analogies])
    return metrics, outputs

  def test_bound(self, state, images, key) -> float:
    """Mean test bound on log p(x), y summed out (one z sample)."""
    params = state.params

    def bound(kk, x):
      x_in = self.inputs_of(params, x)
      keys = jax.random.split(kk, x.shape[0])
      logits = self.model.apply({"params": params["m2"]}, x_in,
                                method=M2.classify)
      return ssl.unlabelled_bound(
          class_bounds(self.model, params["m2"], x_in, keys), logits)
    return float(np.mean(map_batches(jax.jit(bound), images,
                                     batch_size=self.config.eval.batch_size,
                                     key=key)))

  def analogies(self, state, images):
    """`[R, K, H, W, C]`: row r keeps the style z of test image r (its
    q(z | x, y) mean at the predicted class) and decodes it with every
    class; and the predicted classes."""
    params = state.params
    k = self.num_classes

    @jax.jit
    def grid(x):
      x_in = self.inputs_of(params, x)
      apply = functools.partial(self.model.apply, {"params": params["m2"]})
      predicted = jnp.argmax(apply(x_in, method=M2.classify), -1)
      z, _ = apply(x_in, jax.nn.one_hot(predicted, k), method=M2.encode)
      y = jnp.eye(k)[None]
      out = apply(apply(jnp.repeat(z[:, None], k, 1), y, method=M2.decode),
                  method=M2.mean_output)                     # [R, K, D]
      if self.kind == "m1m2":
        out = vae_method.mean_image(self.m1_model, params["m1"],
                                    out.reshape(-1, out.shape[-1]))
      return out.reshape((x.shape[0], k) + self.image_shape), predicted
    out, predicted = jax.device_get(grid(jnp.asarray(images)))
    return np.asarray(out), np.asarray(predicted)

  def build(self) -> Method:
    phases = []
    if self.kind in ("m1", "m1m2"):
      phases.append(Phase("m1", self.v.num_steps, self.m1_step,
                          streams=STREAMS))
    if self.kind == "m1":
      phases.append(Hook("classifier", self.classifier_hook))
    elif self.kind == "supervised":
      phases.append(Phase("train", self.config.train.num_steps,
                          self.supervised_step, streams=("labelled",)))
    else:
      phases.append(Phase("train", self.config.train.num_steps, self.m2_step,
                          streams=STREAMS))
    fingerprint = {"method": "semi_supervised", "model": self.kind,
                   "hidden": list(self.s.hidden),
                   "latent_dim": self.s.latent_dim,
                   "m1": {f: self.v[f] for f in vae_method.FINGERPRINT_FIELDS},
                   "image_shape": list(self.image_shape)}
    return Method(init=step_lib.jit_once(self.init), phases=tuple(phases),
                  evaluate=self.evaluate, figures=figures,
                  fingerprint=fingerprint,
                  report_notes=self.report_notes)

  def report_notes(self, results: dict) -> list:
    return report.report_notes(self.config, self.recorded, results)


def num_examples(config, spec) -> int:
  """N of alpha: the training examples the two streams draw together."""
  n = int(spec.meta.get("num_train_examples", 0))
  labelled = config.data.streams.labelled.get("size", 0) or n
  unlabelled = config.data.streams.unlabelled.get("size", 0)
  return min(n, labelled + unlabelled) if unlabelled else n


def figures(outputs: dict, outdir: str) -> dict:
  return viz_ssl.make(outdir, outputs)


def build(config: ml_collections.ConfigDict, spec) -> Method:
  return SemiSupervised(config, spec).build()
