"""Evaluation of the semi-supervised models (`semi_supervised.py`).

Test accuracy and error of the trained model's class predictions (M1: its
classifier on the posterior means; the others: q(y | x)), the
accuracy on the labelled examples, the confusion matrix, and for M2 and
M1+M2 the test bound on log p(x) (y summed out, one z), the
accuracy of the class-conditional generative model as a classifier
(argmax over y of the bound on log p(x, y)) and the conditional
generation: row r keeps the style z of test image r and
decodes it with every class y (Kingma et al. 2014, Figure 1). Every test
prediction is exported to `predictions.npz`, the labelled subset to
`labelled.npz`.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.eval import probes
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import semi_supervised as ssl
from unsup_jax.methods.semi_supervised import semi_supervised_report as report
from unsup_jax.methods.semi_supervised import spreading
from unsup_jax.methods.semi_supervised.bounds import (Models, class_bounds,
                                                      inputs_of, logits_fn,
                                                      m1_codes)
from unsup_jax.methods.vae import vae as vae_method
from unsup_jax.models.semi_supervised import M2
from unsup_jax.viz import semi_supervised as viz_ssl


def predict(m: Models, state, images, batch_size: int,
            neighbours: int = 1) -> np.ndarray:
  """`[N]` predicted classes of `images` (M1's spreading: its vote among
  `neighbours` codes)."""
  if m.kind == "m1":
    codes = m1_codes(m, state.params, images, batch_size)
    e = state.extra
    if "probe" in e:
      return np.asarray(probes.predict(e["probe"], codes))
    return spreading.vote(e["codes"], e["distributions"], e["used"], codes,
                          neighbours=neighbours)
  scores = map_batches(jax.jit(logits_fn(m, state.params)), images,
                       batch_size=batch_size)
  return np.argmax(scores, axis=-1)


def test_bounds(m: Models, state, images, labels, key,
                batch_size: int) -> dict:
  """The mean test bound on log p(x), y summed out (one z sample), and
  the accuracy of the generative model as a classifier: argmax over y of
  the bound on log p(x, y) (the same z noise; p(y) is uniform). It bounds
  what the unlabelled term can teach q(y | x): where the class-conditional
  model does not tell the digits apart, the bound has no reason to."""
  params = state.params

  def terms(kk, x):
    x_in = inputs_of(m, params, x)
    keys = jax.random.split(kk, x.shape[0])
    logits = m.m2.apply({"params": params["m2"]}, x_in, method=M2.classify)
    by_class = class_bounds(m.m2, params["m2"], x_in, keys)
    return {"bound": ssl.unlabelled_bound(by_class, logits),
            "generative": jnp.argmax(by_class, axis=-1)}
  out = map_batches(jax.jit(terms), images, batch_size=batch_size, key=key)
  return {"bound_unlabelled": float(np.mean(out["bound"])),
          "generative_accuracy": float(np.mean(
              np.asarray(out["generative"]) == np.asarray(labels)))}


def analogies(m: Models, state, images):
  """`[R, K, H, W, C]`: row r keeps the style z of test image r (its
  q(z | x, y) mean at the predicted class) and decodes it with every
  class; and the predicted classes."""
  params, k = state.params, m.num_classes

  @jax.jit
  def grid(x):
    x_in = inputs_of(m, params, x)
    apply = functools.partial(m.m2.apply, {"params": params["m2"]})
    predicted = jnp.argmax(apply(x_in, method=M2.classify), -1)
    z, _ = apply(x_in, jax.nn.one_hot(predicted, k), method=M2.encode)
    y = jnp.eye(k)[None]
    out = apply(apply(jnp.repeat(z[:, None], k, 1), y, method=M2.decode),
                method=M2.mean_output)                       # [R, K, D]
    if m.kind == "m1m2":
      out = vae_method.mean_image(m.m1, params["m1"],
                                  out.reshape(-1, out.shape[-1]))
    return out.reshape((x.shape[0], k) + m.image_shape), predicted
  out, predicted = jax.device_get(grid(jnp.asarray(images)))
  return np.asarray(out), np.asarray(predicted)


def labelled_outputs(predict_fn, data, config, predicted, labels, *,
                     num_classes: int, kind: str):
  """The labelled examples' accuracy and counts, the confusion matrix and
  the exports (every test prediction, the labelled subset);
  `predict_fn(images) -> [N]` classes."""
  train = data.split("train")
  rows_of = report.stream_rows(data, config)
  rows = rows_of["labelled"]
  seen = predict_fn(train["image"][rows])
  row_labels = np.asarray(train["label"])[rows]
  metrics = {"labelled_accuracy": float(np.mean(seen == row_labels)),
             "num_labelled": len(rows),
             "num_unlabelled": len(rows_of["unlabelled"])}
  confusion = np.zeros((num_classes, num_classes), np.int64)
  np.add.at(confusion, (predicted, labels), 1)
  outputs = {"confusion": confusion, "model": kind,
             "labelled_rows": rows, "labelled_labels": row_labels,
             "exports": {
                 "predictions.npz": {"index": np.arange(len(labels)),
                                     "label": labels, "predicted": predicted},
                 "labelled.npz": {"rows": rows, "label": row_labels}}}
  return metrics, outputs


def evaluate_predictions(predict_fn, data, config, *, num_classes: int,
                         kind: str, full: bool):
  """Test accuracy and error of `predict_fn(images) -> [N]` classes; with
  `full` also `labelled_outputs`."""
  test = data.split("test")
  labels = np.asarray(test["label"])
  predicted = predict_fn(test["image"])
  accuracy = float(np.mean(predicted == labels))
  metrics = {"accuracy": accuracy, "error": 100.0 * (1.0 - accuracy)}
  if not full:
    return metrics, {}
  more, outputs = labelled_outputs(predict_fn, data, config, predicted,
                                   labels, num_classes=num_classes,
                                   kind=kind)
  metrics.update(more)
  return metrics, outputs


def evaluate(state, data, key, *, full: bool, m: Models, config):
  """Test accuracy and error; with `full` the labelled examples' accuracy,
  M1's L2 strength, M2's test bound and generative accuracy, and the
  figures' arrays."""
  metrics, outputs = evaluate_predictions(
      functools.partial(predict, m, state,
                        batch_size=config.eval.batch_size,
                        neighbours=config.semi.neighbours),
      data, config, num_classes=m.num_classes, kind=m.kind, full=full)
  if not full:
    return metrics, outputs
  test = data.split("test")
  if m.kind == "m1" and "probe" in state.extra:
    metrics["probe_l2"] = float(state.extra["probe_l2"])
  if m.kind in ("m2", "m1m2"):
    metrics.update(test_bounds(m, state, test["image"], test["label"], key,
                               config.eval.batch_size))
    outputs["analogies"], outputs["analogy_classes"] = analogies(
        m, state, test["image"][:config.semi.analogies])
  return metrics, outputs


def figures(outputs: dict, outdir: str) -> dict:
  return viz_ssl.make(outdir, outputs)
