"""Config of the label-budget study
(`methods/semi_supervised/label_budget_study.py`): section
`label_budget_study`. Each model is a sub-run built from its experiment's
config, once per label count, unlabelled count and seed."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Int, Ints, Str, Strs
from unsup_jax.errors import UserError

MODELS = ("supervised", "m1", "m2", "m1m2")

FIELDS = dict(
    supervised_experiment=Str("supervised_mnist",
                              doc="experiments/NAME.py of the baseline"),
    m1_experiment=Str("m1_mnist", doc="experiments/NAME.py of M1"),
    m2_experiment=Str("m2_mnist", doc="experiments/NAME.py of M2"),
    m1m2_experiment=Str("m1m2_mnist", doc="experiments/NAME.py of M1+M2"),
    model_variant=Str("", doc="'smoke': the experiments' smoke variants"),
    models=Strs(MODELS, choices=MODELS, doc="the models compared"),
    label_counts=Ints((100, 300, 1000, 0), min=0, doc="labelled examples "
                      "(class-balanced); 0 = every training example, with "
                      "all of them also unlabelled"),
    unlabelled_labels=Int(100, min=1, doc="the label count of the "
                          "unlabelled-data curve"),
    unlabelled_counts=Ints((500, 1000, 2000, 0), min=0, doc="unlabelled "
                           "examples at unlabelled_labels; 0 = all the rest"),
    seeds=Ints((0, 1, 2), min=0, doc="one sub-run per model, count and "
               "seed; the seed also draws the labelled subset"),
)
SECTIONS = {"label_budget_study": FIELDS}


def config():
  return base.with_sections("label_budget_study", SECTIONS)


def check(c) -> None:
  s = c.label_budget_study
  if not s.models or not s.seeds:
    raise UserError("config.label_budget_study needs models and seeds")
  if not s.label_counts and not s.unlabelled_counts:
    raise UserError("config.label_budget_study: label_counts and "
                    "unlabelled_counts are both empty")
