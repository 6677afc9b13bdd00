"""The label-budget study: when does unlabelled data help a classifier?

Every model of `label_budget_study.models` (`configs.label_budget_study.
MODELS`: the labels alone, with and without augmentation; label spreading;
M1, M2, M1+M2; VAT; FixMatch) is trained as a sub-run
(`WORKDIR/runs/MODEL_nN_uU_seedS`, each resumable) from its experiment's
config, once per seed of `seeds` and:

* per label count n of `label_counts` with the rest of the training split
  unlabelled (n = 0: every example labelled, and every example also in the
  unlabelled stream): the curve of accuracy against labels;
* at `unlabelled_labels` labels, per unlabelled count of
  `unlabelled_counts` (0: none, the unlabelled stream holding the labelled
  images; at most all the rest): the lecture's "when unlabelled data can
  help" as a measurement. The labels-only baselines see no unlabelled
  data, so their one run per seed is drawn as a flat reference.

The seed draws the labelled subset (`data.streams.balanced_rows`: the
subsets of one seed are nested), the unlabelled subset and the
initialisation. Test accuracy, mean ± std over the seeds, in two tables
and two curves, and every run's in `accuracy_by_run.tsv`; the confusion matrix of the best model at the
curve's label count and the conditional generation of the best generative
one.
"""

import functools
import os

import ml_collections
import numpy as np

from unsup_jax import configs
from unsup_jax.configs import files
from unsup_jax.configs.label_budget_study import LABELS_ONLY, MODELS
from unsup_jax.errors import UserError
from unsup_jax.methods import registry
from unsup_jax.training.contract import Study
from unsup_jax.viz import semi_supervised as viz_ssl

LABELLED_BATCH = 100
GENERATIVE = ("m2", "m1m2")
# Outputs left out of each study figure (the other figure's).
SKIPPED = {"confusion": ("analogies",), "conditional_generation":
           ("confusion",)}


def run_name(model: str, n: int, u: int | None, seed: int) -> str:
  """n labels (0: all), u unlabelled (None: all the rest, 0: none)."""
  return (f"{model}_n{n or 'all'}_u{'rest' if u is None else u}"
          f"_seed{seed}")


def sub_config(config, model: str, n: int, u: int | None,
               seed: int) -> ml_collections.ConfigDict:
  """The sub-run of `model` with n labels (0: all) and u unlabelled (None:
  all the rest; 0: none, the unlabelled stream holding the labelled
  images)."""
  _, method, semi_model = MODELS[model]
  sub = files.sub_run_config(config, "label_budget_study",
                             f"{model}_experiment", method, seed=seed)
  if semi_model is not None and sub.semi.model != semi_model:
    raise UserError(f"config.label_budget_study.{model}_experiment "
                    f"configures model {sub.semi.model!r}, not "
                    f"{semi_model!r}")
  lab, unl = sub.data.streams.labelled, sub.data.streams.unlabelled
  batch = min(lab.get("batch_size", LABELLED_BATCH), n or LABELLED_BATCH)
  if not n:
    lab.update(subset="all", size=0, batch_size=batch)
    unl.update(subset="all", size=0)
  else:
    lab.update(subset="balanced", size=n, batch_size=batch)
    if u == 0:      # the labelled images themselves: no other data
      unl.update(subset="balanced", size=n,
                 batch_size=min(unl.get("batch_size", batch), n))
    else:
      unl.update(subset="rest", of="labelled", size=u or 0)
  configs.validate(sub)
  return sub


def plan(s) -> tuple[dict, dict]:
  """`{run key: (model, n, u, seed)}` of every sub-run, and the points of
  the two curves `{"labels"|"unlabelled": [(model, count, run key, seed)]}`
  (label count 0 and unlabelled count None, all the rest, resolved later).
  The unlabelled curve ends at all the rest: the labels curve's run at
  `unlabelled_labels` labels. The labels-only models' points of the
  unlabelled curve are that run too."""
  runs, points = {}, {"labels": [], "unlabelled": []}
  for seed in s.seeds:
    for model in s.models:
      for n in s.label_counts:
        key = run_name(model, n, None, seed)
        runs[key] = (model, n, None, seed)
        points["labels"].append((model, n, key, seed))
      for u in tuple(s.unlabelled_counts) + (None,):
        uu = None if model in LABELS_ONLY else u
        key = run_name(model, s.unlabelled_labels, uu, seed)
        runs[key] = (model, s.unlabelled_labels, uu, seed)
        points["unlabelled"].append((model, u, key, seed))
  return runs, points


def curves_of(s, points: dict, accuracy: dict, num_train: int) -> dict:
  """`{"labels"|"unlabelled": {model: {count: [accuracy of each seed]}}}`
  (label count 0 resolved: every label; unlabelled counts capped at the
  rest of the training split)."""
  curves = {"labels": {}, "unlabelled": {}}
  for curve, rows in points.items():
    for model, count, name, _ in rows:
      rest = num_train - s.unlabelled_labels
      if curve == "labels":
        shown = count or num_train
      else:
        shown = rest if count is None else min(count, rest)
      curves[curve].setdefault(model, {}).setdefault(shown, []).append(
          accuracy[name])
  return curves


def evaluate(states, data, key, *, full: bool, runs, config):
  """Every sub-run's test accuracy (its quick evaluation), as mean and std
  over the seeds of each point of the two curves; the full outputs of the
  best models."""
  del full
  s = config.label_budget_study
  accuracy = {}
  for name, sub in runs.items():
    m, _ = sub.method.evaluate(states[name], sub.data.view, key, full=False)
    accuracy[name] = m["accuracy"]
  curves = curves_of(s, plan(s)[1], accuracy,
                     len(data.split("train")["label"]))
  metrics = {}
  for curve, tag in (("labels", "n"), ("unlabelled", "u")):
    for model, by_count in curves[curve].items():
      for count, v in by_count.items():
        v = np.asarray(v, np.float64)
        metrics[f"acc_{model}_{tag}{count}_mean"] = float(v.mean())
        metrics[f"acc_{model}_{tag}{count}_std"] = float(
            v.std(ddof=1) if len(v) > 1 else 0.0)
  outputs = {"curves": curves,
             "texts": {"accuracy_by_run.tsv": accuracy_table(s, accuracy)}}
  outputs.update(best_outputs(s, runs, states, key, accuracy))
  return metrics, outputs


def accuracy_table(s, accuracy: dict) -> str:
  """Every sub-run's test accuracy, one line a run (tab-separated: run,
  model, labels, unlabelled, seed, accuracy; 'all' / 'rest' for the
  counts of 0 labels and of all the rest), so that each seed is seen."""
  lines = ["run\tmodel\tlabels\tunlabelled\tseed\taccuracy"]
  for name, (model, n, u, seed) in plan(s)[0].items():
    lines.append("\t".join([name, model, str(n or "all"),
                            "rest" if u is None else str(u), str(seed),
                            f"{accuracy[name]:.4f}"]))
  return "\n".join(lines) + "\n"


def figures(outputs, outdir, *, unlabelled_labels: int):
  path = lambda name: os.path.join(outdir, f"{name}.png")
  c = outputs["curves"]
  figs = {}
  if c["labels"]:
    figs["accuracy_vs_labels"] = viz_ssl.budget_curves(
        c["labels"], path("accuracy_vs_labels"),
        xlabel="labelled examples",
        title="Test accuracy against labels (mean ± std over seeds)")
  if c["unlabelled"]:
    figs["accuracy_vs_unlabelled"] = viz_ssl.budget_curves(
        c["unlabelled"], path("accuracy_vs_unlabelled"),
        xlabel="unlabelled examples", log_x=False,
        title=f"Test accuracy at {unlabelled_labels} labels against "
        "unlabelled data")
  for tag in ("best", "best_generative"):
    if tag in outputs:
      wanted = "confusion" if tag == "best" else "conditional_generation"
      got = viz_ssl.make(outdir, {k: v for k, v in outputs[tag].items()
                                  if k not in SKIPPED[wanted]},
                         suffix=f"_{tag}")
      figs.update({f"{k}_{tag}": v for k, v in got.items()})
  return figs


def build(config: ml_collections.ConfigDict, spec,
          workdir: str | None = None) -> Study:
  """The study on the study's data (`config.data`)."""
  del spec
  s = config.label_budget_study
  subs = {k: sub_config(config, *v) for k, v in plan(s)[0].items()}
  return Study(
      runs=functools.partial(registry.sub_runs, configs_by_name=subs,
                             workdir=workdir),
      evaluate=functools.partial(evaluate, config=config),
      figures=functools.partial(figures,
                                unlabelled_labels=s.unlabelled_labels),
      report_notes=functools.partial(report_notes, s=s),
      fingerprint={"method": "label_budget_study",
                   **{k: list(v) if isinstance(v, tuple) else v
                      for k, v in s.items()}})


def best_outputs(s, runs, states, key, accuracy) -> dict:
  """Full evaluation outputs of the best model and the best generative one
  at `unlabelled_labels` labels with all the rest unlabelled (the first
  seed's run of the model of best mean accuracy)."""
  n = s.unlabelled_labels
  means = {}
  for model in s.models:
    got = [accuracy[run_name(model, n, None, seed)] for seed in s.seeds
           if run_name(model, n, None, seed) in accuracy]
    if got:
      means[model] = float(np.mean(got))
  out = {}
  for tag, allowed in (("best", tuple(s.models)), ("best_generative",
                                                   GENERATIVE)):
    shown = {m: v for m, v in means.items() if m in allowed}
    if not shown:
      continue
    model = max(shown, key=shown.get)
    name = run_name(model, n, None, s.seeds[0])
    sub = runs[name]
    _, outputs = sub.method.evaluate(states[name], sub.data.view, key,
                                     full=True)
    outputs = {k: v for k, v in outputs.items() if k != "exports"}
    outputs["model"] = f"{model} at {n} labels (seed {s.seeds[0]})"
    out[tag] = outputs
  return out


def report_notes(results: dict, outputs: dict, *, s) -> list:
  """The two curves as tables, mean ± std over the seeds (each seed's in
  `accuracy_by_run.tsv`)."""
  del outputs
  seeds = ", ".join(map(str, s.seeds))
  notes = []
  for tag, what in (("n", "labelled examples"),
                    ("u", f"unlabelled examples at {s.unlabelled_labels} "
                     "labels")):
    counts = sorted({int(k.split("_")[-2][len(tag):]) for k in results
                     if k.startswith("test_acc_") and
                     k.split("_")[-2].startswith(tag) and
                     k.split("_")[-2][len(tag):].isdigit()})
    if not counts:
      continue
    lines = [f"### Test accuracy against {what}", "",
             f"Mean ± std over seeds {seeds} (each run's accuracy: "
             "`accuracy_by_run.tsv`)"
             + ("; the labels-only baselines see no unlabelled data (the "
                "same runs at "
                "every count)." if tag == "u" else "."), "",
             "| " + what.split(" at")[0] + " | " + " | ".join(s.models)
             + " |", "| ---: |" + " ---: |" * len(s.models)]
    for count in counts:
      cells = []
      for model in s.models:
        mean = results.get(f"test_acc_{model}_{tag}{count}_mean")
        std = results.get(f"test_acc_{model}_{tag}{count}_std")
        cells.append("—" if mean is None else f"{mean:.3f} ± {std:.3f}")
      lines.append(f"| {count} | " + " | ".join(cells) + " |")
    notes.append("\n".join(lines))
  return notes
