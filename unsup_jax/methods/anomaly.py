"""Anomaly detection with one class held out: AE reconstruction vs VAE ELBO.

For every held-out digit d, an autoencoder and a VAE are trained on the
training images of all other digits; each test image is then scored, and
the test images of d are the anomalies. Scores (higher = more anomalous):

* autoencoder: its per-example reconstruction loss, summed over pixels —
  the binary cross-entropy on gray-scale pixels for `likelihood="bce"`, the
  squared error for "mse" (Japkowicz, Myers & Gluck 1995, IJCAI; Hawkins et
  al. 2002, DaWaK);
* VAE: the negative ELBO, -E_q[log p(x|z)] + KL(q(z|x) || p(z)) (beta = 1
  whatever the training beta), averaged over `anomaly.elbo_samples` draws of
  z with the fixed key `SCORE_SEED` (An & Cho 2015, "Variational
  autoencoder based anomaly detection using reconstruction probability").
  Bernoulli VAEs score the test set binarised once as the training loop
  does (`loop.TEST_BINARIZATION_SEED`).

Digit 1 held out is the known failure of both scores: its few inked pixels
are reconstructed better than any other digit, so AUROC is far below 0.5.

Quality is the AUROC of anomalies vs the rest (`eval/anomaly.py`). The
models are built from other experiment files (`anomaly.ae_config`,
`anomaly.vae_config`, their `get_config(anomaly.model_variant)`) with
`train.num_steps = anomaly.num_steps`, and trained in memory by
`training/fit.py` in `fit`; `evaluate` scores. Figures: `viz/anomaly.py`.
"""

import functools
import importlib.util
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.data import iterators
from unsup_jax.errors import UserError
from unsup_jax.eval import anomaly as anomaly_eval
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import reconstruction
from unsup_jax.methods import autoencoder, base, common
from unsup_jax.models.vae import VAE
from unsup_jax.ops import distributions
from unsup_jax.training import config as config_lib, fit as fit_lib, loop
from unsup_jax.viz import anomaly as anomaly_viz

# config.anomaly.models entry -> short name in result keys.
MODELS = {"autoencoder": "ae", "vae": "vae"}
# Draws of z for the negative ELBO of test image i: fold_in(key(SCORE_SEED),
# i), the same in evaluate and figures.
SCORE_SEED = 20150101
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _positive_int(value) -> bool:
  return isinstance(value, int) and not isinstance(value, bool) and value > 0


def read_settings(config: ml_collections.ConfigDict) -> dict:
  """Checked `config.anomaly` as a plain dict."""
  if "anomaly" not in config:
    raise UserError("config.anomaly is missing; the anomaly method needs "
                    "config.anomaly.held_out etc. (see "
                    "experiments/anomaly_mnist.py)")
  a = config.anomaly
  held_out = tuple(a.get("held_out", ()) or ())
  if not held_out or len(set(held_out)) != len(held_out) or not all(
      isinstance(d, int) and not isinstance(d, bool) for d in held_out):
    raise UserError(f"config.anomaly.held_out must be distinct integer "
                    f"labels, at least one, got {held_out!r}")
  models = tuple(a.get("models", ()) or ())
  if not models or len(set(models)) != len(models) or not set(models) <= set(
      MODELS):
    raise UserError(f"config.anomaly.models must be distinct names among "
                    f"{', '.join(MODELS)}, got {models!r}")
  for field in ("num_steps", "elbo_samples"):
    if not _positive_int(a.get(field)):
      raise UserError(f"config.anomaly.{field} must be a positive integer, "
                      f"got {a.get(field)!r}")
  return dict(held_out=held_out, models=models, num_steps=a.num_steps,
              elbo_samples=a.elbo_samples,
              variant=a.get("model_variant", "") or None,
              paths={"autoencoder": a.get("ae_config", ""),
                     "vae": a.get("vae_config", "")})


def load_experiment(path: str, variant: str | None,
                    field: str) -> ml_collections.ConfigDict:
  """`get_config(variant)` of the experiment file `path` (relative paths
  are read from the repository root); `field` names it in errors."""
  full = path if os.path.isabs(path) else os.path.join(ROOT, path)
  if not path or not os.path.isfile(full):
    raise UserError(f"config.anomaly.{field} {path!r} is not an experiment "
                    f"file (looked for {full})")
  name = "_anomaly_" + os.path.splitext(os.path.basename(full))[0]
  spec = importlib.util.spec_from_file_location(name, full)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(variant)


def model_config(config: ml_collections.ConfigDict, name: str,
                 settings: dict) -> ml_collections.ConfigDict:
  """The config of one detector: its experiment's, trained for
  `anomaly.num_steps` with this experiment's seed."""
  field = "ae_config" if name == "autoencoder" else "vae_config"
  c = load_experiment(settings["paths"][name], settings["variant"], field)
  if c.method != name:
    raise UserError(f"config.anomaly.{field} {settings['paths'][name]!r} "
                    f"configures method {c.method!r}, not {name!r}")
  c.train.num_steps = settings["num_steps"]
  c.seed = config.seed
  config_lib.validate(c)
  return c


def ae_scorer(c: ml_collections.ConfigDict, image_shape):
  """`(params, images, key) -> [N]` reconstruction losses."""
  autoencoder.check_config(c)
  model = autoencoder.make_model(c.model, image_shape)
  cls = type(model)
  bce = c.model.likelihood == "bce"

  @jax.jit
  def score(params, x):
    apply = lambda *a, method: model.apply({"params": params}, *a,
                                           method=method)
    out = apply(apply(x, method=cls.encode), method=cls.decode)
    return (reconstruction.bce_with_logits(x, out) if bce else
            reconstruction.squared_error(x, out))

  def scorer(params, images, key):
    del key  # Deterministic.
    return map_batches(functools.partial(score, params), images,
                       batch_size=c.eval.batch_size)
  return scorer


def vae_scorer(c: ml_collections.ConfigDict, image_shape, num_samples: int):
  """`(params, images, key) -> [N]` negative ELBOs (mean of `num_samples`
  draws; the draw for test image i is keyed by `fold_in(key, i)`)."""
  m = c.model
  common.check_likelihood(m.likelihood, ("bernoulli", "gaussian"))
  model = VAE(kind=m.kind, encoder_hidden=tuple(m.encoder_hidden),
              decoder_hidden=tuple(m.decoder_hidden), latent_dim=m.latent_dim,
              image_shape=image_shape, likelihood=m.likelihood)

  @jax.jit
  def score(params, x, index, key):
    apply = lambda *a, method: model.apply({"params": params}, *a,
                                           method=method)
    mean, logvar = apply(x, method=VAE.encode)
    keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(index)   # [B]
    draws = jax.vmap(lambda k: jax.random.split(k, num_samples))(keys)

    def log_lik(sample_keys):                                      # [B] keys
      z = jax.vmap(distributions.reparameterize)(sample_keys, mean, logvar)
      return apply(x, apply(z, method=VAE.decode), method=VAE.log_likelihood)
    expected = jnp.mean(jax.vmap(log_lik, in_axes=1)(draws), axis=0)  # [B]
    return distributions.kl_standard_normal(mean, logvar) - expected

  def scorer(params, images, key):
    if c.data.binarize != "none":
      images = iterators.binarize_static(images, loop.TEST_BINARIZATION_SEED)
    index = np.arange(len(images), dtype=np.int32)
    return map_batches(lambda x, i: score(params, x, i, key), images, index,
                       batch_size=c.eval.batch_size)
  return scorer


def build(config: ml_collections.ConfigDict,
          image_shape: tuple[int, int, int]) -> base.Method:
  """The held-out-class anomaly experiment for images of `image_shape`."""
  s = read_settings(config)
  held_out, models = s["held_out"], s["models"]
  configs = {name: model_config(config, name, s) for name in models}
  factories = {"autoencoder": lambda c: ae_scorer(c, image_shape),
               "vae": lambda c: vae_scorer(c, image_shape, s["elbo_samples"])}
  scorers = {name: factories[name](configs[name]) for name in models}

  def fit(key, images, labels):
    """Trains every model on the training images of all but each held-out
    digit. Returns `{model: {digit: params}}`."""
    if labels is None or not np.any(np.asarray(labels) >= 0):
      raise UserError("the anomaly method needs a labelled dataset (it holds "
                      "out one class at a time)")
    labels = np.asarray(labels)
    state = {name: {} for name in models}
    for j, d in enumerate(held_out):
      keep = labels != d
      if not keep.any() or keep.all():
        raise UserError(f"config.anomaly.held_out digit {d} leaves "
                        f"{int(keep.sum())} of {len(labels)} training images")
      for i, name in enumerate(models):
        _, trained = fit_lib.fit_method(
            configs[name], images[keep], labels[keep],
            key=jax.random.fold_in(jax.random.fold_in(key, j), i))
        state[name][d] = trained.params
    return state

  def scores(state, images, labels, key):
    """`{model: {digit: (normal [N_n], anomalous [N_a])}}` test scores."""
    del key  # A fixed key: evaluate and figures see the same scores.
    if labels is None:
      raise UserError("the anomaly method needs test labels")
    labels = np.asarray(labels)
    key = jax.random.key(SCORE_SEED)
    out = {}
    for name in models:
      out[name] = {}
      for d in held_out:
        is_anomaly = labels == d
        if not is_anomaly.any() or is_anomaly.all():
          raise UserError(f"the test set has {int(is_anomaly.sum())} of "
                          f"{len(labels)} images of held-out digit {d}; "
                          f"need some of it and some of the others")
        x = np.asarray(scorers[name](state[name][d], images, key))
        out[name][d] = (x[~is_anomaly], x[is_anomaly])
    return out

  def evaluate(state, images, labels, key, *, full=True):
    """`auroc_{ae,vae}_d{d}` (anomalies = test images of d, model trained
    without d) and their means over the held-out digits."""
    del full
    metrics = {}
    for name, per_digit in scores(state, images, labels, key).items():
      short = MODELS[name]
      values = [anomaly_eval.auroc(*per_digit[d]) for d in held_out]
      metrics.update({f"auroc_{short}_d{d}": v
                      for d, v in zip(held_out, values)})
      metrics[f"auroc_{short}_mean"] = float(np.mean(values))
    return metrics

  def figures(state, images, labels, key, outdir):
    path = lambda name: os.path.join(outdir, f"{name}.png")
    all_scores = scores(state, images, labels, key)
    named = {MODELS[n].upper(): v for n, v in all_scores.items()}
    aurocs = {k: [anomaly_eval.auroc(*v[d]) for d in held_out]
              for k, v in named.items()}
    return {
        "score_histograms": anomaly_viz.score_histograms(
            named, path("score_histograms")),
        "auroc_per_digit": anomaly_viz.auroc_bars(
            held_out, aurocs, path("auroc_per_digit")),
        "roc_curves": anomaly_viz.roc_curves(named, path("roc_curves")),
    }

  def report_notes(results):
    shorts = [MODELS[n] for n in models]
    rows = ["| held-out digit | " + " | ".join(
        f"AUROC {s.upper()}" for s in shorts) + " |",
            "| ---: |" + " ---: |" * len(shorts)]
    for label in [f"d{d}" for d in held_out] + ["mean"]:
      cells = [results.get(f"test_auroc_{s}_{label}") for s in shorts]
      rows.append(f"| {label.lstrip('d')} | " + " | ".join(
          "n/a" if v is None else f"{v:.3f}" for v in cells) + " |")
    return ["### Anomaly detection, one digit held out\n\n"
            "Each model is trained on the training images of every other "
            "digit; the test images of the held-out digit are the anomalies "
            "(positives) among all test images. Scores: AE = reconstruction "
            "loss summed over pixels, VAE = negative ELBO "
            f"({s['elbo_samples']} samples of z). AUROC by the Mann-Whitney "
            "U statistic, ties counted 1/2; 0.5 is chance.\n\n" +
            "\n".join(rows)]

  fingerprint = {"method": "anomaly", "held_out": list(held_out),
                 "models": list(models), "num_steps": s["num_steps"],
                 "elbo_samples": s["elbo_samples"],
                 "image_shape": list(image_shape)}
  return base.Method(init=None, train_step=None, evaluate=evaluate,
                     figures=figures, fingerprint=fingerprint, fit=fit,
                     report_notes=report_notes)
