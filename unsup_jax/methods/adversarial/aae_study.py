"""The denoising adversarial autoencoder beside the models it joins.

Creswell & Bharath (2017), "Denoising Adversarial Autoencoders",
arXiv:1610.01331: a denoising autoencoder whose code distribution a
discriminator matches to a prior (the adversarial autoencoder of Makhzani et
al. 2016, arXiv:1511.05644, `aae.py`) both cleans images and
samples. This study trains three sub-runs (`WORKDIR/runs/NAME`, each
resumable) on the study's data:

* `aae`: the denoising AAE of `aae_study.aae_experiment`;
* `dae`: the plain denoising autoencoder of `aae_study.dae_experiment`
  (the same networks and noise: what denoising costs or gains from the
  prior matching);
* `vae`: the VAE of `aae_study.vae_experiment`, the usual way to sample
  from an autoencoder.

`evaluate` gives the denoising MSE of the AAE and of the plain DAE on the
test split, and, for the AAE's and the VAE's decoded prior samples, FID and
KID against the study's gray test images in the features of the project's
digit classifier (as for the GANs, `gan_eval.py`), with the
real-data floor (training against test images). The figures show the two
models' prior samples side by side and the training image nearest to each
of a few samples.
"""

import functools
import os

import jax
import ml_collections
import numpy as np

from unsup_jax import configs
from unsup_jax.configs import files
from unsup_jax.eval import feature_classifier, fid as fid_lib
from unsup_jax.eval.batched import map_batches
from unsup_jax.methods import registry
from unsup_jax.methods.adversarial import aae
from unsup_jax.methods.vae import vae
from unsup_jax.models import vae as vae_models
from unsup_jax.training.contract import Study
from unsup_jax.viz import figures as viz

SAMPLE_SEED = 31
NUM_SHOWN = 10
# sub-run name -> (config field of its experiment, its method)
MODELS = {"aae": ("aae_experiment", "aae"),
          "dae": ("dae_experiment", "autoencoder"),
          "vae": ("vae_experiment", "vae")}


def _sub_config(config, name: str) -> ml_collections.ConfigDict:
  field, method = MODELS[name]
  s = config.aae_study
  sub = files.sub_run_config(config, "aae_study", field, method)
  if s.num_steps:
    sub.train.num_steps = s.num_steps
  sub.train.checkpoint_every = min(sub.train.checkpoint_every,
                                   sub.train.num_steps)
  configs.validate(sub)
  return sub


def prior_samples(sub, params, num: int, image_shape) -> np.ndarray:
  """`num` images decoded from N(0, I) codes (the fixed `SAMPLE_SEED`) by
  the AAE or VAE of sub-run config `sub`: its decoder's mean image."""
  if sub.method == "aae":
    dim = sub.autoencoder.latent_dim
    sample = functools.partial(aae.prior_images,
                               nets=aae.networks(sub, image_shape))
  else:
    dim = sub.vae.latent_dim
    sample = jax.jit(functools.partial(
        vae.mean_image, vae_models.from_config(sub.vae, image_shape)))
  z = np.asarray(jax.random.normal(jax.random.key(SAMPLE_SEED), (num, dim)))
  return map_batches(lambda zz: sample(params, zz), z,
                     batch_size=min(num, 500))


def sample_metrics(drawn: dict, test, train, clf) -> dict:
  """FID and KID of each model's prior samples against the test images,
  and the real-data floor."""
  f_test = clf.features(test)
  metrics = {}
  for name, images in drawn.items():
    scores = fid_lib.fid_kid(clf.features(images), f_test)
    metrics.update({f"{k}_{name}": v for k, v in scores.items()})
  floor = fid_lib.fid_kid(clf.features(train), f_test)
  return dict(metrics, fid_floor=floor["fid"], kid_floor=floor["kid"])


def evaluate(states, data, key, *, full: bool, runs, config, subs: dict,
             workdir: str | None):
  """Denoising MSE of the AAE and the plain DAE; FID and KID of the AAE's
  and the VAE's prior samples (28x28x1 images)."""
  s = config.aae_study
  metrics = {}
  for name in ("aae", "dae"):
    sub = runs[name]
    m, _ = sub.method.evaluate(states[name], sub.data.view,
                               jax.random.fold_in(key, len(name)), full=False)
    metrics[f"mse_{name}"] = m["mse"]
  test = np.asarray(data.split("test")["image"], np.float32)
  train = np.asarray(data.split("train")["image"], np.float32)
  drawn = {n: prior_samples(subs[n], states[n].params, s.num_samples,
                            test.shape[1:]) for n in ("aae", "vae")}
  if test.shape[1:] == feature_classifier.IMAGE_SHAPE:
    metrics.update(sample_metrics(drawn, test, train, feature_classifier.cached(
        s.fid_classifier, workdir)))
  if not full:
    return metrics, {}
  shown = {n: images[:NUM_SHOWN] for n, images in drawn.items()}
  return metrics, {
      "aae_samples": drawn["aae"][:64], "vae_samples": drawn["vae"][:64],
      "nearest": {n: fid_lib.nearest_training_images(x, train)
                  for n, x in shown.items()},
      "shown": shown}


def figures(outputs, outdir):
  path = lambda name: os.path.join(outdir, f"{name}.png")
  shown, nearest = outputs["shown"], outputs["nearest"]
  return {
      "prior_samples": viz.labelled_rows(
          [(label, outputs[f"{n}_samples"][
              i * NUM_SHOWN:(i + 1) * NUM_SHOWN])
           for n, label in (("aae", "denoising AAE"), ("vae", "VAE"))
           for i in range(3)], path("prior_samples"),
          title="Decoded prior samples, z ~ N(0, I)"),
      "nearest_training_images": viz.labelled_rows(
          [("AAE sample", shown["aae"]), ("nearest train", nearest["aae"]),
           ("VAE sample", shown["vae"]), ("nearest train", nearest["vae"])],
          path("nearest_training_images"),
          title="Nearest training image (pixels) to each sample")}


def report_notes(results, outputs, *, num_samples: int):
  del outputs
  lines = ["Denoising: squared error per pixel of the cleaned test images "
           "(the noise of the experiments' `data.corruption`):", "",
           "| model | test MSE |", "| --- | ---: |",
           f"| denoising AAE | {results['test_mse_aae']:.5f} |",
           f"| plain denoising AE | {results['test_mse_dae']:.5f} |"]
  if "test_fid_aae" in results:
    lines += ["", f"Prior samples ({num_samples} per model) against the "
              "test images, in the digit classifier's features:", "",
              "| model | FID | KID |", "| --- | ---: | ---: |"]
    lines += [f"| {label} | {results[f'test_fid_{n}']:.2f} | "
              f"{results[f'test_kid_{n}']:.3f} |"
              for n, label in (("aae", "denoising AAE"), ("vae", "VAE"))]
    lines.append(f"| real training images (floor) | "
                 f"{results['test_fid_floor']:.2f} | "
                 f"{results['test_kid_floor']:.3f} |")
  return ["\n".join(lines)]


def build(config: ml_collections.ConfigDict, spec,
          workdir: str | None = None) -> Study:
  """The study for the images of `spec`."""
  s = config.aae_study
  subs = {name: _sub_config(config, name) for name in MODELS}
  return Study(
      runs=functools.partial(registry.sub_runs, configs_by_name=subs,
                             workdir=workdir),
      evaluate=functools.partial(evaluate, config=config, subs=subs,
                                 workdir=workdir),
      figures=figures,
      report_notes=functools.partial(report_notes,
                                     num_samples=s.num_samples),
      fingerprint={"method": "aae_study",
                   "image_shape": list(spec.image_shape),
                   **{f: s[f] for f, _ in MODELS.values()}})
