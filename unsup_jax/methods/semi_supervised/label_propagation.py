"""Label spreading over a k-nearest-neighbour graph of the training images:
the shallow semi-supervised method a user tries first.

The labelled and unlabelled rows of the two streams
(`configs/label_propagation.py`) are mapped to their first
`propagation.pca_components` principal components (fitted on those rows),
and labels spread over their k-nearest-neighbour graph (`spreading.py`:
Zhou et al. 2004, scikit-learn's `LabelSpreading`); a test image takes the
class its `neighbours` nearest training rows carry most.

The fit is the method's one phase, a whole-data hook, so a second run on
the workdir reuses it; the state keeps the PCA, every used row's code and
label distribution (the rows the streams do not draw are masked out).
Evaluation is the semi-supervised models' (`semi_supervised_eval.py`).
"""

import functools

import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.methods.semi_supervised import semi_supervised_eval as ssl_eval
from unsup_jax.methods.semi_supervised import semi_supervised_report as report
from unsup_jax.methods.semi_supervised import spreading
from unsup_jax.ops import pca
from unsup_jax.training.contract import Hook, Method
from unsup_jax.training.state import TrainState


def init(key, batch, *, num_train: int, dim: int, num_classes: int,
         components: int) -> TrainState:
  """Zeros shaped like the fitted state: PCA, codes `[N, components]`,
  label distributions `[N, K]` and the used rows' mask `[N]`."""
  del batch
  f32 = lambda *shape: jnp.zeros(shape, jnp.float32)
  extra = {"mean": f32(dim), "components": f32(components, dim),
           "codes": f32(num_train, components),
           "distributions": f32(num_train, num_classes),
           "used": jnp.zeros((num_train,), bool)}
  return TrainState(step=jnp.zeros((), jnp.int32), params={}, opt_state=(),
                    key=key, extra=extra)


def _flat(images) -> np.ndarray:
  return np.asarray(images, np.float32).reshape(len(images), -1)


def spread_hook(state, data, key, *, config, num_classes: int):
  """PCA of the streams' rows, then label spreading over their graph."""
  del key  # Deterministic.
  p = config.propagation
  rows = report.stream_rows(data, config)
  used = np.union1d(rows["labelled"], rows["unlabelled"])
  train = data.split("train")
  x = _flat(train["image"])
  fitted = pca.fit(x[used], p.pca_components)
  codes = np.asarray(pca.transform(fitted, x), np.float32)
  distributions = spreading.spread(
      codes, train["label"], rows["labelled"], used, num_classes=num_classes,
      neighbours=p.neighbours, alpha=p.alpha, max_iter=p.max_iter)
  mask = np.zeros(len(x), bool)
  mask[used] = True
  return state.replace(extra={
      "mean": np.asarray(fitted.mean), "components":
      np.asarray(fitted.components), "codes": codes,
      "distributions": distributions, "used": mask})


def predict(state, images, *, neighbours: int) -> np.ndarray:
  """`[N]` classes of `images` by `spreading.vote` on their PCA codes."""
  e = state.extra
  codes = (_flat(images) - np.asarray(e["mean"])) @ np.asarray(
      e["components"]).T
  return spreading.vote(e["codes"], e["distributions"], e["used"], codes,
                        neighbours=neighbours)


def evaluate(state, data, key, *, full: bool, config, num_classes: int):
  """The semi-supervised models' evaluation with `predict`."""
  del key
  return ssl_eval.evaluate_predictions(
      functools.partial(predict, state,
                        neighbours=config.propagation.neighbours),
      data, config, num_classes=num_classes, kind="label_propagation",
      full=full)


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """Label spreading for the labelled and unlabelled streams of `spec`."""
  p = config.propagation
  image_shape = tuple(spec.shape("image", "labelled"))
  dim, k = int(np.prod(image_shape)), spec.num_classes
  return Method(
      init=functools.partial(
          init, num_train=int(spec.meta["num_train_examples"]), dim=dim,
          num_classes=k, components=p.pca_components),
      phases=(Hook("spread", functools.partial(
          spread_hook, config=config, num_classes=k)),),
      evaluate=functools.partial(evaluate, config=config, num_classes=k),
      figures=ssl_eval.figures,
      report_notes=functools.partial(report.report_notes, config=config),
      fingerprint={"method": "label_propagation", "propagation": p.to_dict(),
                   "image_shape": list(image_shape)})
