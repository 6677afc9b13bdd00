"""Evaluation of a GAN: FID and KID against a real-data floor, mode coverage.

FID (Heusel et al. 2017, arXiv:1706.08500) and KID (Bińkowski et al. 2018,
arXiv:1801.01401) compare generated and real test images in the penultimate
features of a classifier trained in-project on mnist5k
(`eval/feature_classifier.py`): an Inception network is neither available
offline nor meaningful for 28x28 digits. The FID of the real training split
against the real test split is the floor a perfect generator would reach
with finite samples. The classifier's predictions on generated images give
their class histogram: a collapsed generator covers few classes.

With a moving average of the generator (`gan.ema_decay` > 0), `fid`, `kid`,
the class shares and the samples are the averaged generator's, and
`fid_raw` / `kid_raw` and `samples_raw` the raw one's, from the same noise.
The nearest training image (in pixels) to each of a few samples checks
for memorisation.

Samples over training: a periodic whole-data hook of the training phase
(`snapshot`, every `train.eval_every` steps) decodes a fixed set of noise
vectors and keeps the images in the state (`extra["snapshots"]`, the last
`MAX_SNAPSHOTS`), so they are checkpointed and survive a resume.
"""

import os

import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.eval import feature_classifier, fid as fid_lib
from unsup_jax.eval.batched import map_batches
from unsup_jax.viz import figures as viz
from unsup_jax.viz import gan as gan_viz

SNAPSHOT_SEED = 20
NUM_SNAPSHOT = 10
MAX_SNAPSHOTS = 16
NUM_NEAREST = 10


def empty_snapshots(image_shape) -> dict:
  """The snapshot buffer of `extra`: images and the step of each (-1 =
  empty slot)."""
  return {"images": jnp.zeros((MAX_SNAPSHOTS, NUM_SNAPSHOT) +
                              tuple(image_shape), jnp.float32),
          "steps": jnp.full((MAX_SNAPSHOTS,), -1, jnp.int32)}


def fixed_noise(noise_dim: int) -> jax.Array:
  return jax.random.normal(jax.random.key(SNAPSHOT_SEED),
                           (NUM_SNAPSHOT, noise_dim))


def snapshot(state, data, key, *, sample, noise_dim: int):
  """The periodic hook: the fixed noise decoded at this step, written over
  the oldest slot of the buffer."""
  del data, key
  buf = state.extra["snapshots"]
  steps = np.asarray(buf["steps"])
  slot = int(np.argmin(np.where(steps < 0, -1, steps)))
  images = np.asarray(sample(state.params, state.extra,
                             fixed_noise(noise_dim)))
  new = {"images": np.asarray(buf["images"]).copy(), "steps": steps.copy()}
  new["images"][slot], new["steps"][slot] = images, int(state.step)
  return state.replace(extra=dict(state.extra, snapshots=new))


def snapshots_of(state) -> dict:
  """`{step: [N, H, W, C]}` of the filled slots."""
  buf = state.extra["snapshots"]
  return {int(s): np.asarray(buf["images"][i])
          for i, s in enumerate(np.asarray(buf["steps"])) if s >= 0}


def generate(sample, state, key, num: int, noise_dim: int) -> np.ndarray:
  """`num` images of `sample(params, extra, z)` from fresh noise."""
  z = np.asarray(jax.random.normal(key, (num, noise_dim)))
  return map_batches(lambda zz: sample(state.params, state.extra, zz),
                     z, batch_size=min(num, 500))


def interpolations(sample, state, key, noise_dim: int) -> np.ndarray:
  """`[6, 10, H, W, C]`: the generator along straight lines in noise."""
  ends = jax.random.normal(key, (2, 6, noise_dim))
  t = np.linspace(0.0, 1.0, 10)[None, :, None]
  z = (1 - t) * ends[0][:, None] + t * ends[1][:, None]       # [6, 10, Z]
  frames = map_batches(lambda zz: sample(state.params, state.extra, zz),
                       np.asarray(z.reshape(60, -1)), batch_size=60)
  return frames.reshape((6, 10) + frames.shape[1:])


def fid_metrics(state, test_images, key, *, sample, sample_raw, g, clf):
  """FID and KID of `gan.fid_samples` generated images against the test
  images (and of the raw generator's beside the averaged one's), and the
  generated images."""
  generated = generate(sample, state, key, g.fid_samples, g.noise_dim)
  f_test = clf.features(test_images)
  metrics = fid_lib.fid_kid(clf.features(generated), f_test)
  if sample_raw is not None:
    raw = fid_lib.fid_kid(clf.features(generate(
        sample_raw, state, key, g.fid_samples, g.noise_dim)), f_test)
    metrics.update(fid_raw=raw["fid"], kid_raw=raw["kid"])
  return metrics, generated


def coverage_metrics(clf, generated, data) -> tuple[dict, dict]:
  """The real-data floor (training against test images), the generated
  samples' class shares and the counts the class histogram shows."""
  test = data.split("test")
  floor = fid_lib.fid_kid(clf.features(data.split("train")["image"]),
                          clf.features(test["image"]))
  counts = np.bincount(clf.predict(generated),
                       minlength=feature_classifier.NUM_CLASSES)
  share = counts / counts.sum()
  metrics = {"fid_floor": floor["fid"], "kid_floor": floor["kid"],
             "classifier_test_accuracy": clf.test_accuracy,
             "classes_covered": int(np.sum(share >= 0.01)),
             "class_share_max": float(share.max()),
             "class_share_min": float(share.min()),
             **{f"class_share_{d}": float(share[d])
                for d in range(len(share))}}
  outputs = {"class_counts": counts, "fid_floor": metrics["fid_floor"]}
  if "label" in test:
    outputs["real_counts"] = np.bincount(
        np.asarray(test["label"]), minlength=feature_classifier.NUM_CLASSES)
  return metrics, outputs


def evaluate(state, data, key, *, full: bool, sample, sample_raw, config,
             workdir: str | None):
  """FID/KID (28x28x1 images only) of `sample(params, extra, z)`, the
  evaluated generator (the averaged one when there is one), beside
  `sample_raw`, the raw one (or None); with `full` the real-data floor,
  the class coverage and the figures' arrays."""
  g = config.gan
  images = data.split("test")["image"]
  fid_key, sample_key, interp_key = jax.random.split(key, 3)
  has_fid = tuple(images.shape[1:]) == feature_classifier.IMAGE_SHAPE
  metrics, clf = {}, None
  if has_fid:
    clf = feature_classifier.cached(g.fid_classifier, workdir)
    metrics, generated = fid_metrics(state, images, fid_key, sample=sample,
                                     sample_raw=sample_raw, g=g, clf=clf)
  if not full:
    return metrics, {}
  snapshots = snapshots_of(state)
  snapshots[int(state.step)] = np.asarray(sample(
      state.params, state.extra, fixed_noise(g.noise_dim)))
  outputs = {"step": int(state.step),
             "samples": generate(sample, state, sample_key, 64, g.noise_dim),
             "snapshots": snapshots,
             "interpolations": interpolations(sample, state, interp_key,
                                              g.noise_dim)}
  if sample_raw is not None:
    outputs["samples_raw"] = generate(sample_raw, state, sample_key, 64,
                                      g.noise_dim)
  outputs["nearest"] = fid_lib.nearest_training_images(
      outputs["samples"][:NUM_NEAREST], data.split("train")["image"])
  if has_fid:
    coverage, shown = coverage_metrics(clf, generated, data)
    metrics.update(coverage)
    outputs.update(shown, fid=metrics["fid"])
  return metrics, outputs


def figures(outputs, outdir) -> dict:
  path = lambda name: os.path.join(outdir, f"{name}.png")
  paths = {"samples": viz.samples(outputs["samples"], path("samples"),
                                  title="Generated samples"),
           "nearest_training_images": gan_viz.nearest_training_images(
               outputs["samples"][:NUM_NEAREST], outputs["nearest"],
               path("nearest_training_images")),
           "samples_during_training": gan_viz.samples_during_training(
               outputs["snapshots"], path("samples_during_training"))}
  records = outputs.get("history") or []
  if records:
    final = ((outputs["step"], outputs["fid"]) if "fid" in outputs
             else None)
    paths["fid_and_losses"] = gan_viz.fid_and_losses(
        records, path("fid_and_losses"), floor=outputs.get("fid_floor"),
        final=final)
  paths["interpolations"] = viz.interpolations(
      outputs["interpolations"], path("interpolations"),
      title="Generator along straight lines in noise space")
  if "samples_raw" in outputs:
    paths["samples_ema_vs_raw"] = gan_viz.ema_and_raw(
        outputs["samples"], outputs["samples_raw"],
        path("samples_ema_vs_raw"))
  if "class_counts" in outputs:
    paths["class_histogram"] = gan_viz.class_histogram(
        outputs["class_counts"], outputs.get("real_counts"),
        path("class_histogram"))
  return paths


def report_notes(results: dict, outputs: dict, *, fid_samples: int) -> list:
  del outputs
  if "test_fid" not in results:
    return ["FID and KID need a feature network for this image shape; the "
            "in-project one is for 28x28x1 digits."]
  has_raw = "test_fid_raw" in results
  return [
      "FID and KID are measured in the 128-d penultimate features of a "
      "small classifier trained on mnist5k (`eval/feature_classifier.py`, "
      f"test accuracy {results['test_classifier_test_accuracy']:.3f}), "
      f"between {fid_samples} generated and the real test images.",
      "| | FID | KID |\n|---|---:|---:|\n"
      f"| generated vs test{' (EMA generator)' * has_raw} | "
      f"{results['test_fid']:.2f} | {results['test_kid']:.4f} |\n"
      + (f"| raw generator vs test | {results['test_fid_raw']:.2f} | "
         f"{results['test_kid_raw']:.4f} |\n" if has_raw else "") +
      f"| real train vs test (floor) | {results['test_fid_floor']:.2f} | "
      f"{results['test_kid_floor']:.4f} |",
      f"Classes covered by the generator (>= 1% of samples): "
      f"{results['test_classes_covered']}/10; the most frequent class "
      f"takes {results['test_class_share_max']:.1%}, the rarest "
      f"{results['test_class_share_min']:.1%}."]
