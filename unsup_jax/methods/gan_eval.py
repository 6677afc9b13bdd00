"""Evaluation of a GAN: FID and KID against a real-data floor, mode coverage.

FID (Heusel et al. 2017, arXiv:1706.08500) and KID (Bińkowski et al. 2018,
arXiv:1801.01401) compare generated and real test images in the penultimate
features of a classifier trained in-project on mnist5k
(`eval/feature_classifier.py`): an Inception network is neither available
offline nor meaningful for 28x28 digits. The FID of the real training split
against the real test split is the floor a perfect generator would reach
with finite samples. The classifier's predictions on generated images give
their class histogram: a collapsed generator covers few classes.

During training every quick evaluation also keeps the images drawn from a
fixed set of noise vectors, saved beside the checkpoints, for the
samples-over-training figure.
"""

import os

import jax
import ml_collections
import numpy as np

from unsup_jax.eval import feature_classifier, fid as fid_lib
from unsup_jax.eval.batched import map_batches
from unsup_jax.methods import common
from unsup_jax.training.logging import read_metrics
from unsup_jax.viz import figures as viz
from unsup_jax.viz import gan as gan_viz

SNAPSHOT_FILE = "gan_samples_during_training.npz"
SNAPSHOT_SEED = 20
NUM_SNAPSHOT = 10
KID_SUBSET = 500
CLASSIFIER_ENV = "UNSUP_JAX_FID_CLASSIFIER"


class Evaluator:
  """`evaluate`, `figures` and `report_notes` of the GAN method."""

  def __init__(self, config: ml_collections.ConfigDict, image_shape,
               workdir: str | None, sample):
    self.config, self.g = config, config.gan
    self.workdir, self.sample = workdir, sample
    self.has_fid = tuple(image_shape) == feature_classifier.IMAGE_SHAPE
    self._classifier = self._floor = self._final = None
    self._class_counts = None      # of the last full evaluation's samples
    self.fixed_noise = jax.random.normal(jax.random.key(SNAPSHOT_SEED),
                                         (NUM_SNAPSHOT, self.g.noise_dim))
    self.snapshots = self._load_snapshots()

  # -- helpers ---------------------------------------------------------------

  def classifier_path(self) -> str:
    if self.g.fid_classifier:
      return self.g.fid_classifier
    if os.environ.get(CLASSIFIER_ENV):
      return os.environ[CLASSIFIER_ENV]
    base = self.workdir or os.path.join(os.path.expanduser("~"), ".cache",
                                        "unsup_jax")
    return os.path.join(base, "fid_classifier.msgpack")

  def classifier(self) -> feature_classifier.FeatureClassifier:
    if self._classifier is None:
      self._classifier = feature_classifier.load_or_train(
          self.classifier_path(), seed=0)
    return self._classifier

  def generate(self, state, key, num: int) -> np.ndarray:
    z = np.asarray(jax.random.normal(key, (num, self.g.noise_dim)))
    return map_batches(lambda zz: self.sample(state.params, state.extra, zz),
                       z, batch_size=min(num, 500))

  def _snapshot_path(self):
    return os.path.join(self.workdir, SNAPSHOT_FILE) if self.workdir else None

  def _load_snapshots(self) -> dict:
    path = self._snapshot_path()
    if not path or not os.path.exists(path):
      return {}
    try:
      with np.load(path) as f:
        return {int(k.split("_")[1]): f[k] for k in f.files}
    except (OSError, ValueError, IndexError):
      return {}          # an unreadable file only loses the old snapshots

  def _snapshot(self, state) -> None:
    step = int(state.step)
    self.snapshots[step] = np.asarray(self.sample(state.params, state.extra,
                                                  self.fixed_noise))
    path = self._snapshot_path()
    if path and os.path.isdir(self.workdir):
      tmp = path + ".tmp.npz"
      np.savez(tmp, **{f"step_{k}": v for k, v in self.snapshots.items()})
      os.replace(tmp, path)

  def floor(self, test_images) -> dict:
    """FID/KID of the real training split against the real test split."""
    if self._floor is None:
      train, _ = common.training_images(self.config)
      clf = self.classifier()
      f_train, f_test = clf.features(train), clf.features(test_images)
      kid_mean, _ = fid_lib.kid(f_train, f_test, subset_size=KID_SUBSET)
      self._floor = {"fid_floor": fid_lib.fid(f_train, f_test),
                     "kid_floor": kid_mean}
    return self._floor

  # -- the method contract ---------------------------------------------------

  def evaluate(self, state, images, labels, key, *, full=True) -> dict:
    del labels
    self._snapshot(state)
    if not self.has_fid:
      return {}
    clf = self.classifier()
    generated = self.generate(state, key, self.g.fid_samples)
    f_gen, f_test = clf.features(generated), clf.features(images)
    kid_mean, kid_std = fid_lib.kid(f_gen, f_test, subset_size=KID_SUBSET)
    metrics = {"fid": fid_lib.fid(f_gen, f_test), "kid": kid_mean,
               "kid_std": kid_std}
    if full:
      self._final = (int(state.step), metrics["fid"])
      counts = np.bincount(clf.predict(generated),
                           minlength=feature_classifier.NUM_CLASSES)
      self._class_counts = counts
      share = counts / counts.sum()
      metrics.update(self.floor(images))
      metrics["classifier_test_accuracy"] = clf.test_accuracy
      metrics["classes_covered"] = int(np.sum(share >= 0.01))
      metrics["class_share_max"] = float(share.max())
      metrics.update({f"class_share_{d}": float(share[d])
                      for d in range(len(share))})
    return metrics

  def figures(self, state, images, labels, key, outdir) -> dict:
    k_samples, k_interp = jax.random.split(key)
    paths = {"samples": viz.samples(
        self.generate(state, k_samples, 64), os.path.join(outdir,
                                                          "samples.png"),
        title="Generated samples")}
    if self.snapshots:
      paths["samples_during_training"] = gan_viz.samples_during_training(
          self.snapshots, os.path.join(outdir, "samples_during_training.png"))
    records = read_metrics(os.path.dirname(os.path.abspath(outdir)))
    if records:
      paths["fid_and_losses"] = gan_viz.fid_and_losses(
          records, os.path.join(outdir, "fid_and_losses.png"),
          floor=self._floor["fid_floor"] if self._floor else None,
          final=self._final)
    ends = jax.random.normal(k_interp, (2, 6, self.g.noise_dim))
    t = np.linspace(0.0, 1.0, 10)[None, :, None]
    z = (1 - t) * ends[0][:, None] + t * ends[1][:, None]     # [6, 10, Z]
    frames = map_batches(
        lambda zz: self.sample(state.params, state.extra, zz),
        np.asarray(z.reshape(60, -1)), batch_size=60)
    paths["interpolations"] = viz.interpolations(
        frames.reshape((6, 10) + frames.shape[1:]),
        os.path.join(outdir, "interpolations.png"),
        title="Generator along straight lines in noise space")
    if self._class_counts is not None:
      paths["class_histogram"] = gan_viz.class_histogram(
          self._class_counts,
          np.bincount(np.asarray(labels), minlength=10) if labels is not None
          else None, os.path.join(outdir, "class_histogram.png"))
    return paths

  def report_notes(self, results: dict) -> list:
    if "test_fid" not in results:
      return ["FID and KID need a feature network for this image shape; the "
              "in-project one is for 28x28x1 digits."]
    return [
        "FID and KID are measured in the 128-d penultimate features of a "
        "small classifier trained on mnist5k (`eval/feature_classifier.py`, "
        f"test accuracy {results['test_classifier_test_accuracy']:.3f}), "
        f"between {self.g.fid_samples} generated and the real test images.",
        "| | FID | KID |\n|---|---:|---:|\n"
        f"| generated vs test | {results['test_fid']:.2f} | "
        f"{results['test_kid']:.4f} |\n"
        f"| real train vs test (floor) | {results['test_fid_floor']:.2f} | "
        f"{results['test_kid_floor']:.4f} |",
        f"Classes covered by the generator (>= 1% of samples): "
        f"{results['test_classes_covered']}/10; the most frequent class "
        f"takes {results['test_class_share_max']:.1%}."]
