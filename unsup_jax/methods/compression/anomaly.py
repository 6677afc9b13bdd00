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
  Bernoulli VAEs score the test set binarised once, as their own
  evaluation sees it (`data.transforms.eval_view`).

Digit 1 held out is the known failure of both scores: its few inked pixels
are reconstructed better than any other digit, so AUROC is far below 0.5.

Quality is the AUROC of anomalies vs the rest (`eval/anomaly.py`). A study:
each detector is built from another experiment file (`anomaly.ae_config`,
`anomaly.vae_config`, their `get_config(anomaly.model_variant)`) with
`train.num_steps = anomaly.num_steps` and trained as a sub-run of the loop
(`WORKDIR/runs/ae_d3`, ...: checkpointed and resumed like any run);
`evaluate` scores them all. Config: `configs/anomaly.py`; figures:
`viz/anomaly.py`.
"""

import functools
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax import configs
from unsup_jax.configs import files
from unsup_jax.data import streams, transforms
from unsup_jax.errors import UserError
from unsup_jax.eval import anomaly as anomaly_eval
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import reconstruction
from unsup_jax.methods import registry
from unsup_jax.models import autoencoder as ae_models
from unsup_jax.models import vae as vae_models
from unsup_jax.models.vae import VAE
from unsup_jax.ops import distributions
from unsup_jax.training.contract import Study, SubRun
from unsup_jax.viz import anomaly as anomaly_viz

# config.anomaly.models entry -> short name in result keys and sub-runs.
MODELS = {"autoencoder": "ae", "vae": "vae"}
# Draws of z for the negative ELBO of test image i: fold_in(key(SCORE_SEED),
# i), the same in every evaluation.
SCORE_SEED = 20150101


def model_config(config: ml_collections.ConfigDict,
                 name: str) -> ml_collections.ConfigDict:
  """The config of one detector: its experiment's, on this study's data,
  trained for `anomaly.num_steps` with this study's seed (no evaluation
  during training: the study scores at the end)."""
  a = config.anomaly
  field = "ae_config" if name == "autoencoder" else "vae_config"
  c = files.sub_run_config(config, "anomaly", field, name)
  c.train.num_steps = a.num_steps
  configs.validate(c)
  return c


@functools.partial(jax.jit, static_argnames=("model", "bce"))
def ae_score_batch(params, x, *, model, bce: bool):
  """`[B]` reconstruction losses of `x`, summed over pixels."""
  cls = type(model)
  apply = lambda *a, method: model.apply({"params": params}, *a,
                                         method=method)
  out = apply(apply(x, method=cls.encode), method=cls.decode)
  return (reconstruction.bce_with_logits(x, out) if bce else
          reconstruction.squared_error(x, out))


def ae_scores(params, images, key, *, c, image_shape) -> np.ndarray:
  """`[N]` reconstruction losses of the autoencoder of config `c`."""
  del key  # Deterministic.
  model = ae_models.from_config(c.autoencoder, image_shape)
  return map_batches(functools.partial(
      ae_score_batch, params, model=model,
      bce=c.autoencoder.likelihood == "bce"), images,
                     batch_size=c.eval.batch_size)


@functools.partial(jax.jit, static_argnames=("model", "num_samples"))
def vae_score_batch(params, x, index, key, *, model: VAE, num_samples: int):
  """`[B]` negative ELBOs of `x` (mean of `num_samples` draws; the draw for
  image i keyed by `fold_in(key, i)`)."""
  apply = lambda *a, method: model.apply({"params": params}, *a,
                                         method=method)
  mean, logvar = apply(x, method=VAE.encode)
  keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(index)     # [B]
  draws = jax.vmap(lambda k: jax.random.split(k, num_samples))(keys)

  def log_lik(sample_keys):                                        # [B] keys
    z = jax.vmap(distributions.reparameterize)(sample_keys, mean, logvar)
    return apply(x, apply(z, method=VAE.decode), method=VAE.log_likelihood)
  expected = jnp.mean(jax.vmap(log_lik, in_axes=1)(draws), axis=0)  # [B]
  return distributions.kl_standard_normal(mean, logvar) - expected


def vae_scores(params, images, key, *, c, image_shape,
               num_samples: int) -> np.ndarray:
  """`[N]` negative ELBOs of the VAE of config `c` of the gray `images`,
  binarised as the VAE's evaluation sees them."""
  model = vae_models.from_config(c.vae, image_shape)
  if c.data.binarize != "none":
    images = transforms.binarize_static(images,
                                        transforms.TEST_BINARIZATION_SEED)
  index = np.arange(len(images), dtype=np.int32)
  return map_batches(
      lambda x, i: vae_score_batch(params, x, i, key, model=model,
                                   num_samples=num_samples),
      images, index, batch_size=c.eval.batch_size)


def run_name(model: str, digit: int) -> str:
  return f"{MODELS[model]}_d{digit}"


def runs(data, *, config, subconfigs: dict) -> list:
  """One sub-run per held-out digit and model, trained on the training
  images of every other digit."""
  train = data.dataset.split("train")
  if "label" not in train:
    raise UserError("the anomaly method needs a labelled dataset (it holds "
                    "out one class at a time)")
  labels = np.asarray(train["label"])
  out = []
  for d in config.anomaly.held_out:
    keep = labels != d
    if not keep.any() or keep.all():
      raise UserError(f"config.anomaly.held_out digit {d} leaves "
                      f"{int(keep.sum())} of {len(labels)} training images")
    for name in config.anomaly.models:
      c = subconfigs[name]
      sub_data = streams.prepare(data.dataset.select("train", keep), c)
      out.append(SubRun(run_name(name, d), c,
                        registry.build(c, sub_data.spec()), sub_data))
  return out


def test_scores(states, data, *, config, subconfigs: dict) -> dict:
  """`{model: {digit: (normal [N_n], anomalous [N_a])}}` test scores."""
  a = config.anomaly
  test = data.split("test")
  if "label" not in test:
    raise UserError("the anomaly method needs test labels")
  images, labels = test["image"], np.asarray(test["label"])
  image_shape = images.shape[1:]
  scorers = {"autoencoder": ae_scores, "vae": functools.partial(
      vae_scores, num_samples=a.elbo_samples)}
  key = jax.random.key(SCORE_SEED)
  out = {}
  for name in a.models:
    out[name] = {}
    for d in a.held_out:
      is_anomaly = labels == d
      if not is_anomaly.any() or is_anomaly.all():
        raise UserError(f"the test set has {int(is_anomaly.sum())} of "
                        f"{len(labels)} images of held-out digit {d}; "
                        f"need some of it and some of the others")
      x = np.asarray(scorers[name](
          states[run_name(name, d)].params, images, key, c=subconfigs[name],
          image_shape=image_shape))
      out[name][d] = (x[~is_anomaly], x[is_anomaly])
  return out


def evaluate(states, data, key, *, full: bool, runs, config,
             subconfigs: dict):
  """`auroc_{ae,vae}_d{d}` (anomalies = test images of d, model trained
  without d) and their means over the held-out digits."""
  del key, full, runs
  held_out = config.anomaly.held_out
  all_scores = test_scores(states, data, config=config, subconfigs=subconfigs)
  metrics = {}
  for name, per_digit in all_scores.items():
    short = MODELS[name]
    values = [anomaly_eval.auroc(*per_digit[d]) for d in held_out]
    metrics.update({f"auroc_{short}_d{d}": v
                    for d, v in zip(held_out, values)})
    metrics[f"auroc_{short}_mean"] = float(np.mean(values))
  named = {MODELS[n].upper(): v for n, v in all_scores.items()}
  aurocs = {k: [anomaly_eval.auroc(*v[d]) for d in held_out]
            for k, v in named.items()}
  return metrics, {"scores": named, "aurocs": aurocs,
                   "held_out": list(held_out)}


def figures(outputs, outdir):
  path = lambda name: os.path.join(outdir, f"{name}.png")
  return {
      "score_histograms": anomaly_viz.score_histograms(
          outputs["scores"], path("score_histograms")),
      "auroc_per_digit": anomaly_viz.auroc_bars(
          outputs["held_out"], outputs["aurocs"], path("auroc_per_digit")),
      "roc_curves": anomaly_viz.roc_curves(outputs["scores"],
                                           path("roc_curves")),
  }


def report_notes(results, outputs, *, config):
  del outputs
  a = config.anomaly
  shorts = [MODELS[n] for n in a.models]
  rows = ["| held-out digit | " + " | ".join(
      f"AUROC {s.upper()}" for s in shorts) + " |",
          "| ---: |" + " ---: |" * len(shorts)]
  for label in [f"d{d}" for d in a.held_out] + ["mean"]:
    cells = [results.get(f"test_auroc_{s}_{label}") for s in shorts]
    rows.append(f"| {label.lstrip('d')} | " + " | ".join(
        "n/a" if v is None else f"{v:.3f}" for v in cells) + " |")
  return ["### Anomaly detection, one digit held out\n\n"
          "Each model is trained on the training images of every other "
          "digit; the test images of the held-out digit are the anomalies "
          "(positives) among all test images. Scores: AE = reconstruction "
          "loss summed over pixels, VAE = negative ELBO "
          f"({a.elbo_samples} samples of z). AUROC by the Mann-Whitney "
          "U statistic, ties counted 1/2; 0.5 is chance.\n\n" +
          "\n".join(rows)]


def build(config: ml_collections.ConfigDict, spec) -> Study:
  """The held-out-class anomaly study for the images of `spec`."""
  a = config.anomaly
  subconfigs = {name: model_config(config, name) for name in a.models}
  bound = dict(config=config, subconfigs=subconfigs)
  return Study(
      runs=functools.partial(runs, **bound),
      evaluate=functools.partial(evaluate, **bound), figures=figures,
      report_notes=functools.partial(report_notes, config=config),
      fingerprint={"method": "anomaly", "held_out": list(a.held_out),
                   "models": list(a.models), "num_steps": a.num_steps,
                   "elbo_samples": a.elbo_samples,
                   "image_shape": list(spec.image_shape)})
