"""Config of the label-budget study
(`methods/semi_supervised/label_budget_study.py`): section
`label_budget_study`. Each model is a sub-run built from its experiment's
config, once per label count, unlabelled count and seed."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Int, Ints, Str, Strs
from unsup_jax.errors import UserError

# model -> (its experiment, the method it runs, its `semi.model`).
MODELS = {
    "supervised": ("supervised_mnist", "semi_supervised", "supervised"),
    "supervised_aug": ("supervised_aug_mnist", "semi_supervised",
                       "supervised"),
    "label_propagation": ("label_propagation_mnist", "label_propagation",
                          None),
    "m1": ("m1_mnist", "semi_supervised", "m1"),
    "m2": ("m2_mnist", "semi_supervised", "m2"),
    "m1m2": ("m1m2_mnist", "semi_supervised", "m1m2"),
    "vat": ("vat_mnist", "semi_supervised", "vat"),
    "fixmatch": ("fixmatch_mnist", "semi_supervised", "fixmatch"),
}
# The models that draw no unlabelled stream: one run per label count.
LABELS_ONLY = ("supervised", "supervised_aug")

FIELDS = dict(
    **{f"{m}_experiment": Str(e, doc=f"experiments/NAME.py of {m}")
       for m, (e, _, _) in MODELS.items()},
    model_variant=Str("", doc="'smoke': the experiments' smoke variants"),
    models=Strs(tuple(MODELS), choices=tuple(MODELS),
                doc="the models compared"),
    label_counts=Ints((100, 300, 1000, 0), min=0, doc="labelled examples "
                      "(class-balanced), every other training example "
                      "unlabelled; 0 = every training example, with all of "
                      "them also unlabelled"),
    unlabelled_labels=Int(100, min=1, doc="the label count of the "
                          "unlabelled-data curve"),
    unlabelled_counts=Ints((0, 500, 1000, 2000), min=0, doc="unlabelled "
                           "examples at unlabelled_labels, drawn from the "
                           "rest (at most all of it), beside all of the "
                           "rest (the labels curve's run); 0 = none: the "
                           "unlabelled stream holds the labelled images"),
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
