"""Semi-supervised learning: the deep generative models M1, M2 and M1+M2
(Kingma, Rezende, Mohamed & Welling 2014, arXiv:1406.5298), the
consistency methods VAT and FixMatch, and the supervised-only baseline
they are measured against.

Each step draws two streams (`configs/semi_supervised.py`): "labelled", a
class-balanced subset of the training split fixed by the run's seed, and
"unlabelled", the rest of it (or part of the rest).

* `supervised`: q(y | x) (`models/semi_supervised.Classifier`) trained by
  cross-entropy on the labelled stream alone (through `semi.augment`, if
  set), for `train.num_steps` steps; the final parameters are scored,
  nothing is selected on held-out data.
* `vat`, `fixmatch`: the same classifier, the same labelled loss, plus a
  consistency loss on the unlabelled stream (`classifier_steps.py`).
* `m1`: phase "m1" trains a VAE (`methods/vae/vae.py`'s networks and ELBO) on
  the images of both streams; hook "classifier" classifies from the
  posterior means (`semi.m1_classifier`): label spreading over the codes
  of both streams (`spreading.py`; transductive, as the paper's TSVM), or
  the linear probe of `eval/probes.py` (softmax regression on the raw
  codes, L2 chosen by cross-validation on the labelled examples alone).
* `m2`: q(y | x), q(z | x, y), p(x | y, z) on the pixels; each step
  minimises `losses/semi_supervised.m2_loss`: the labelled bound, the
  unlabelled bound with y summed out over all K classes at once (the
  encoder and decoder run on a `[B, K]` grid), and alpha times the
  cross-entropy, alpha = `alpha_scale` x N.
* `m1m2`: phase "m1" as for M1, then M2 (Gaussian p(z1 | y, z2)) on codes
  z1 drawn from the frozen M1 encoder's q(z1 | x) at every step; test
  images are classified from their posterior means.

Evaluation: test accuracy and error, accuracy on the labelled examples,
the confusion matrix, for M2 and M1+M2 the test unlabelled bound, the
accuracy of the generative model as a classifier (argmax over y of the
bound on log p(x, y)) and the conditional generation figure (rows: the style z of a test image; columns:
the classes y), and exports of every test prediction (`predictions.npz`)
and of the labelled subset (`labelled.npz`).
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.configs.semi_supervised import CLASSIFIER_MODELS
from unsup_jax.eval import probes
from unsup_jax.methods.semi_supervised import bounds, classifier_steps
from unsup_jax.methods.semi_supervised import semi_supervised_eval as ssl_eval
from unsup_jax.methods.semi_supervised import semi_supervised_report as report
from unsup_jax.methods.semi_supervised import spreading
from unsup_jax.methods.semi_supervised.bounds import Models
from unsup_jax.methods.vae import vae as vae_method
from unsup_jax.models.vae import VAE
from unsup_jax.ops import distributions
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import Hook, Method, Phase

STREAMS = ("labelled", "unlabelled")
# Key streams of one step's noise.
LABELLED_KEYS, UNLABELLED_KEYS = 1, 2
CODE_KEYS = {"labelled": 3, "unlabelled": 4}


def stream_keys(state, x: jax.Array, which: int, axis_name) -> jax.Array:
  """Per-example keys of one stream's batch (pmap draws what jit draws)."""
  return distributions.per_example_keys(
      jax.random.fold_in(step_lib.step_key(state), which), x.shape[0],
      step_lib.example_offset(x.shape[0], axis_name))


def init(key, batch, *, m: Models, tx, m1_classifier: str = "linear",
         num_train: int = 0):
  """The parameters of the networks `m.kind` trains, an optimiser state
  each, and for M1 its (empty) classifier: the linear probe, or the
  spreading's codes `[num_train, d]`, label distributions and used rows."""
  del batch  # Shapes come from the spec.
  keys = jax.random.split(key, 4)
  params = {}
  if m.kind in ("m1", "m1m2"):
    params["m1"] = m.m1.init(keys[0], jnp.zeros((1, *m.image_shape)))[
        "params"]
  if m.kind in CLASSIFIER_MODELS:
    params["classifier"] = m.classifier.init(
        keys[1], jnp.zeros((1, m.m2.data_dim)))["params"]
  if m.kind in ("m2", "m1m2"):
    params["m2"] = m.m2.init(keys[2], jnp.zeros((1, m.m2.data_dim)))[
        "params"]
  extra = {}
  d, k = m.m1.latent_dim, m.num_classes
  if m.kind == "m1" and m1_classifier == "linear":
    extra = {"probe": {"w": jnp.zeros((d, k)), "b": jnp.zeros((k,)),
                       "mean": jnp.zeros((d,)), "scale": jnp.zeros((d,))},
             "probe_l2": jnp.zeros(())}
  elif m.kind == "m1":
    extra = {"codes": jnp.zeros((num_train, d)),
             "distributions": jnp.zeros((num_train, k)),
             "used": jnp.zeros((num_train,), bool)}
  return state_lib.TrainState(step=jnp.zeros((), jnp.int32), params=params,
                              opt_state={k: tx.init(p)
                                         for k, p in params.items()},
                              key=keys[3], extra=extra)


def m1_step(state, batch, *, m: Models, tx, v, axis_name=None):
  """One ELBO step of M1's VAE on the images of both streams."""
  xs = [batch[n]["image"] for n in STREAMS]
  keys = jnp.concatenate([stream_keys(state, x, i + 1, axis_name)
                          for i, x in enumerate(xs)])
  x = jnp.concatenate(xs)
  beta, capacity = vae_method.kl_weights(state.step, v)

  def step(sub):
    def loss_fn(params):
      return vae_method.objective(
          vae_method.posterior_terms(m.m1, params, x, keys), v, beta,
          capacity, x.shape[0])
    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        sub.params)
    return step_lib.apply_gradients(sub, grads, metrics, tx,
                                    axis_name=axis_name)
  return step_lib.on_part(state, "m1", step)


def m2_inputs(state, batch, axis_name, *, m: Models) -> list:
  """Flat inputs of M2 per stream: pixels, or (m1m2) codes drawn from the
  frozen M1 encoder's q(z1 | x)."""
  out = []
  for n in STREAMS:
    x = batch[n]["image"]
    if m.kind == "m1m2":
      mean, logvar = m.m1.apply(
          {"params": jax.lax.stop_gradient(state.params["m1"])}, x,
          method=VAE.encode)
      keys = stream_keys(state, x, CODE_KEYS[n], axis_name)
      out.append(jax.vmap(distributions.reparameterize)(keys, mean, logvar))
    else:
      out.append(bounds.flat(x))
  return out


def m2_step(state, batch, *, m: Models, tx, alpha: float, axis_name=None):
  """One step of M2's objective on a labelled and an unlabelled batch."""
  x_l, x_u = m2_inputs(state, batch, axis_name, m=m)
  labels = batch["labelled"]["label"]
  keys_l = stream_keys(state, x_l, LABELLED_KEYS, axis_name)
  keys_u = stream_keys(state, x_u, UNLABELLED_KEYS, axis_name)

  def step(sub):
    (_, metrics), grads = jax.value_and_grad(
        lambda p: bounds.m2_objective(m.m2, p, x_l, labels, x_u, keys_l,
                                      keys_u, alpha=alpha),
        has_aux=True)(sub.params)
    return step_lib.apply_gradients(sub, grads, metrics, tx,
                                    axis_name=axis_name)
  return step_lib.on_part(state, "m2", step)


def classifier_hook(state, data, key, *, m: Models, config):
  """M1's classifier on the posterior means: label spreading over the
  codes of both streams, or the linear probe on the labelled codes (not
  standardised: the codes share the prior's unit scale, and scaling up the
  nearly inactive units to it would weigh their noise like signal)."""
  del key  # Deterministic.
  s = config.semi
  rows = report.stream_rows(data, config)
  train = data.split("train")
  labels = np.asarray(train["label"])
  if s.m1_classifier == "spreading":
    used = np.union1d(rows["labelled"], rows["unlabelled"])
    codes = np.zeros((len(labels), m.m1.latent_dim), np.float32)
    codes[used] = bounds.m1_codes(m, state.params, train["image"][used],
                                  config.eval.batch_size)
    mask = np.zeros(len(labels), bool)
    mask[used] = True
    return state.replace(extra={
        "codes": codes, "used": mask, "distributions": spreading.spread(
            codes, labels, rows["labelled"], used, num_classes=m.num_classes,
            neighbours=s.neighbours, alpha=s.spread_alpha, max_iter=100)})
  x = bounds.m1_codes(m, state.params, train["image"][rows["labelled"]],
                      config.eval.batch_size)
  y = labels[rows["labelled"]]
  folds = min(probes.NUM_FOLDS, int(np.bincount(y).min()))
  if folds >= 2:
    l2, _ = probes.select_l2(x, y, num_classes=m.num_classes,
                             seed=config.seed, num_folds=folds,
                             standardise=False)
  else:
    l2 = probes.L2_GRID[0]
  fit = probes.fit_logistic_regression(x, y, num_classes=m.num_classes,
                                       l2=l2, standardise=False)
  return state.replace(extra={"probe": fit, "probe_l2": np.float32(l2)})


def num_examples(config, spec) -> int:
  """N of alpha: the training examples the two streams draw together."""
  n = int(spec.meta.get("num_train_examples", 0))
  labelled = config.data.streams.labelled.get("size", 0) or n
  unlabelled = config.data.streams.unlabelled.get("size", 0)
  return min(n, labelled + unlabelled) if unlabelled else n


def phases(config, m: Models, tx, alpha: float) -> tuple:
  """M1's phase and hook (m1, m1m2), then the classifier's or M2's."""
  out = []
  if m.kind in ("m1", "m1m2"):
    out.append(Phase("m1", config.m1.num_steps, functools.partial(
        m1_step, m=m, tx=tx, v=config.m1), streams=STREAMS))
  if m.kind == "m1":
    out.append(Hook("classifier", functools.partial(classifier_hook, m=m,
                                                    config=config)))
  elif m.kind == "supervised":
    out.append(Phase("train", config.train.num_steps, functools.partial(
        classifier_steps.supervised_step, m=m, tx=tx, s=config.semi),
                     streams=("labelled",)))
  elif m.kind in CLASSIFIER_MODELS:
    step = {"vat": classifier_steps.vat_step,
            "fixmatch": classifier_steps.fixmatch_step}[m.kind]
    out.append(Phase("train", config.train.num_steps, functools.partial(
        step, m=m, tx=tx, s=config.semi), streams=STREAMS))
  else:
    out.append(Phase("train", config.train.num_steps, functools.partial(
        m2_step, m=m, tx=tx, alpha=alpha), streams=STREAMS))
  return tuple(out)


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """The model of `config.semi.model` for the streams of `spec`."""
  s, m = config.semi, bounds.models(config, spec)
  tx = optim.build(config)
  return Method(
      init=step_lib.jit_once(functools.partial(
          init, m=m, tx=tx, m1_classifier=s.m1_classifier,
          num_train=int(spec.meta.get("num_train_examples", 0)))),
      phases=phases(config, m, tx, s.alpha_scale * num_examples(config, spec)),
      evaluate=functools.partial(ssl_eval.evaluate, m=m, config=config),
      figures=ssl_eval.figures,
      report_notes=functools.partial(report.report_notes, config=config),
      fingerprint={"method": "semi_supervised", "model": m.kind,
                   "hidden": list(s.hidden), "latent_dim": s.latent_dim,
                   "activation": s.activation,
                   "m1": {f: config.m1[f]
                          for f in vae_method.FINGERPRINT_FIELDS},
                   "image_shape": list(m.image_shape),
                   **({"m1_classifier": {f: s[f] for f in (
                       "m1_classifier", "neighbours", "spread_alpha")}}
                      if m.kind == "m1" else {})})
