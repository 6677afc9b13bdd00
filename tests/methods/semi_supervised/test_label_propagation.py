"""Label spreading (`methods/semi_supervised/label_propagation.py`): the
fitted state reproduces scikit-learn's LabelSpreading on the same codes,
and its rule for test images is LabelSpreading.predict's."""

import jax
import numpy as np
from sklearn.semi_supervised import LabelSpreading

from tests.helpers import build, load_config
from unsup_jax.methods.semi_supervised import label_propagation as lp
from unsup_jax.methods.semi_supervised import semi_supervised_report as report


def test_the_fit_and_the_predictions_are_label_spreadings():
  config = load_config("label_propagation_mnist")
  config.data.update(num_train=400, num_test=100)
  config.data.streams.labelled.size = 50
  config.data.streams.unlabelled.size = 200
  method, data = build(config)
  state = method.init(jax.random.key(0), None)
  state = method.phases[0].fn(state, data.view, None)
  rows = report.stream_rows(data.view, config)
  used = np.union1d(rows["labelled"], rows["unlabelled"])
  np.testing.assert_array_equal(np.flatnonzero(state.extra["used"]), used)
  assert len(used) == 250
  # The same spreading by scikit-learn on the stored codes.
  train = data.view.split("train")
  codes = np.asarray(state.extra["codes"])
  targets = np.full(len(codes), -1)
  targets[rows["labelled"]] = np.asarray(train["label"])[rows["labelled"]]
  p = config.propagation
  ref = LabelSpreading(kernel="knn", n_neighbors=p.neighbours, alpha=p.alpha,
                       max_iter=p.max_iter).fit(codes[used], targets[used])
  np.testing.assert_allclose(
      np.asarray(state.extra["distributions"])[used][:, ref.classes_],
      ref.label_distributions_, rtol=1e-5, atol=1e-7)
  test = data.view.split("test")["image"]
  test_codes = ((test.reshape(len(test), -1) - state.extra["mean"]) @
                np.asarray(state.extra["components"]).T)
  got = lp.predict(state, test, neighbours=p.neighbours)
  np.testing.assert_array_equal(got, ref.predict(test_codes))
  # Codes are the PCA of the used rows: centred on their mean.
  np.testing.assert_allclose(codes[used].mean(0), 0.0, atol=1e-4)
