"""The label-budget study's plan: which sub-runs it trains (each once, the
curves sharing runs where they meet) and the streams each one draws."""

import pytest

from tests.helpers import load_config
from unsup_jax.errors import UserError
from unsup_jax.methods.semi_supervised import label_budget_study as study


def _config():
  config = load_config("label_budget_study", None)
  config.label_budget_study.update(
      seeds=(0, 1), label_counts=(100, 0), unlabelled_counts=(0, 500),
      models=("supervised", "supervised_aug", "m2", "fixmatch"))
  return config


def test_the_plan_trains_each_run_once_and_the_curves_share_runs():
  s = _config().label_budget_study
  runs, points = study.plan(s)
  # Per seed: 4 models x 2 label counts, plus the 2 semi-supervised models
  # x 2 unlabelled counts (u = all the rest at 100 labels is the label
  # curve's n = 100 run; the labels-only models see no unlabelled data).
  assert len(runs) == 2 * (4 * 2 + 2 * 2)
  assert len(points["labels"]) == 2 * 4 * 2
  assert len(points["unlabelled"]) == 2 * 4 * 3
  assert all(key in runs for rows in points.values() for *_, key, _ in rows)
  sup = {key for model, _, key, _ in points["unlabelled"]
         if model == "supervised_aug"}
  assert sup == {"supervised_aug_n100_urest_seed0",
                 "supervised_aug_n100_urest_seed1"}
  rest = {key for model, u, key, _ in points["unlabelled"]
          if model == "fixmatch" and u is None}
  assert rest == {"fixmatch_n100_urest_seed0", "fixmatch_n100_urest_seed1"}


def test_sub_runs_draw_the_planned_streams():
  config = _config()
  sub = study.sub_config(config, "m2", 100, 500, 1)
  assert sub.seed == 1 and sub.semi.model == "m2"
  lab, unl = sub.data.streams.labelled, sub.data.streams.unlabelled
  assert (lab.subset, lab.size) == ("balanced", 100)
  assert (unl.subset, unl.of, unl.size) == ("rest", "labelled", 500)
  rest = study.sub_config(config, "m2", 100, None, 1).data.streams
  assert (rest.unlabelled.subset, rest.unlabelled.size) == ("rest", 0)
  # No unlabelled data: the unlabelled stream is the labelled images.
  none = study.sub_config(config, "fixmatch", 100, 0, 1).data.streams
  assert (none.unlabelled.subset, none.unlabelled.size) == ("balanced", 100)
  every = study.sub_config(config, "m1m2", 0, None, 0)
  assert every.data.streams.labelled.subset == "all"
  assert every.data.streams.unlabelled.subset == "all"
  assert every.data.streams.unlabelled.size == 0
  spread = study.sub_config(config, "label_propagation", 100, 500, 0)
  assert spread.method == "label_propagation"


def test_no_unlabelled_data_means_the_labelled_images_alone():
  """The u = 0 run's unlabelled stream draws exactly the labelled rows."""
  from unsup_jax.data import streams  # pylint: disable=g-import-not-at-top
  from unsup_jax.data import loader  # pylint: disable=g-import-not-at-top
  sub = study.sub_config(_config(), "fixmatch", 100, 0, 1)
  defined = streams.define_streams(loader.load_dataset(sub), sub)
  assert list(defined["unlabelled"].rows) == list(defined["labelled"].rows)


def test_an_experiment_of_another_model_is_a_user_error():
  config = _config()
  config.label_budget_study.m2_experiment = "m1m2_mnist"
  with pytest.raises(UserError, match="configures model 'm1m2', not 'm2'"):
    study.sub_config(config, "m2", 100, None, 0)
