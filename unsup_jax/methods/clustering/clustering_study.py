"""The clustering study: shallow baselines against DEC, IDEC, VaDE, N2D
and IIC.

Every model clusters the study's training split into
`clustering_study.num_clusters` groups, once per seed of
`clustering_study.seeds`:

* the shallow baselines of `shallow.py`, run in the evaluation: k-means, a
  diagonal GMM and spectral clustering on raw pixels and on PCA codes, and
  UMAP + GMM on pixels (N2D without its autoencoder);
* k-means and GMM on autoencoder codes: the start hooks of DEC and VaDE,
  on their pre-trained encoders' codes (their training-set scores, kept in
  each sub-run's state);
* DEC, IDEC, VaDE, N2D and IIC: sub-runs (`WORKDIR/runs/MODEL_seedS`, each
  resumable) built from their experiments (`*_experiment`).

Scores are the training split's (transductive, as the papers report) and
the test split's (test images assigned by each fitted model); ACC, NMI and
ARI, mean ± std over the seeds in one table, every seed's training ACC in a
second; the figures show every seed as a dot, and the confusion matrix and
the images nearest each centre of the best deep run (by training ACC).
"""

import functools
import os

import ml_collections
import numpy as np

from unsup_jax import configs
from unsup_jax.configs import files
from unsup_jax.errors import UserError
from unsup_jax.eval import clustering as cluster_eval
from unsup_jax.methods import registry
from unsup_jax.methods.clustering import shallow
from unsup_jax.training.contract import Study
from unsup_jax.viz import clustering as viz_clustering
from unsup_jax.viz import disentanglement as viz_strips

# sub-run model -> (config field of its experiment, its method)
DEEP = {"dec": ("dec_experiment", "dec"), "idec": ("idec_experiment", "dec"),
        "vade": ("vade_experiment", "vade"), "n2d": ("n2d_experiment", "n2d"),
        "iic": ("iic_experiment", "iic")}
BASELINES = shallow.BASELINES
# Rows from the deep models' start hooks: (row, the sub-run model).
STARTS = (("kmeans_ae_codes", "dec"), ("gmm_ae_codes", "vade"))
ROWS = BASELINES + tuple(r for r, _ in STARTS) + tuple(DEEP)
SCORES = ("acc", "nmi", "ari")
SPLITS = ("train", "test")


def run_name(model: str, seed: int) -> str:
  return f"{model}_seed{seed}"


def sub_config(config, model: str, seed: int) -> ml_collections.ConfigDict:
  field, method = DEEP[model]
  sub = files.sub_run_config(config, "clustering_study", field, method,
                             seed=seed)
  configs.validate(sub)
  return sub


def deep_values(states, runs, key, seed: int) -> dict:
  """`{score: {row: value}}` of the deep models' sub-runs of `seed` (their
  quick evaluation) and of their start hooks (training split only)."""
  values = {f"{split}_{n}": {} for split in SPLITS for n in SCORES}
  for row, model in STARTS:
    start = np.asarray(states[run_name(model, seed)].extra["start_scores"])
    for n, v in zip(SCORES, start):
      values[f"train_{n}"][row] = float(v)
      values[f"test_{n}"][row] = float("nan")
  for model in DEEP:
    sub = runs[run_name(model, seed)]
    m, _ = sub.method.evaluate(states[sub.name], sub.data.view, key,
                               full=False)
    for n in SCORES:
      values[f"train_{n}"][model] = m[f"train_{n}"]
      values[f"test_{n}"][model] = m[n]
  return values


def baseline_values(train, test, labels: dict, seed: int, s) -> dict:
  """`{score: {row: value}}` of the four shallow baselines of one seed."""
  values = {f"{split}_{n}": {} for split in SPLITS for n in SCORES}
  for row, pair in shallow.baselines(train["image"], test["image"], seed,
                                     s).items():
    for split, clusters in zip(SPLITS, pair):
      got = _scores(clusters, labels[split])
      for n in SCORES:
        values[f"{split}_{n}"][row] = got[n]
  return values


def evaluate(states, data, key, *, full: bool, runs, config):
  """ACC, NMI and ARI of every row (baselines, start hooks, deep models)
  on both splits, mean and std over the seeds; with `full` the best deep
  run's confusion matrix and images nearest its centres."""
  s = config.clustering_study
  train, test = data.split("train"), data.split("test")
  if "label" not in train or "label" not in test:
    raise UserError(f"the clustering study scores against labels; "
                    f"dataset {config.data.name!r} has none")
  labels = {"train": np.asarray(train["label"]),
            "test": np.asarray(test["label"])}
  values = {f"{split}_{n}": {row: [] for row in ROWS}
            for split in SPLITS for n in SCORES}
  for seed in s.seeds:
    found = baseline_values(train, test, labels, seed, s)
    deep = deep_values(states, runs, key, seed)
    for score, rows in values.items():
      for row in ROWS:
        rows[row].append({**found[score], **deep[score]}[row])
  metrics = {}
  for score, rows in values.items():
    for row, v in rows.items():
      v = np.asarray(v, np.float64)
      if np.all(np.isfinite(v)):
        metrics[f"{score}_{row}_mean"] = float(v.mean())
        metrics[f"{score}_{row}_std"] = float(
            v.std(ddof=1) if len(v) > 1 else 0.0)
  shown = {score: {row: v for row, v in values[score].items()
                   if np.all(np.isfinite(v))}
           for score in ("train_acc", "train_nmi", "test_acc", "test_nmi")}
  outputs = {"values": shown}
  if full:
    outputs["best"] = best_run(values["train_acc"], states, runs, key, s)
  return metrics, outputs


def best_run(train_acc: dict, states, runs, key, s) -> dict:
  """The name and the figures' arrays (confusion matrix, images nearest
  each centre) of the deep sub-run with the highest training ACC."""
  scored = [(train_acc[m][i], run_name(m, seed)) for m in DEEP
            for i, seed in enumerate(s.seeds)]
  _, name = max(scored)
  sub = runs[name]
  _, out = sub.method.evaluate(states[name], sub.data.view, key, full=True)
  return {"name": name, **{k: out[k] for k in ("confusion", "nearest")
                           if k in out}}


def figures(outputs, outdir):
  figs = {"clustering_scores": viz_strips.metric_strips(
      outputs["values"], os.path.join(outdir, "clustering_scores.png"),
      title="Clustering scores: seeds as dots, mean as bar")}
  if "best" in outputs:
    best = outputs["best"]
    figs.update(viz_clustering.make(outdir, best, title=best["name"]))
  return figs


def report_notes(results, outputs, *, seeds):
  columns = [f"{split}_{n}" for split in SPLITS for n in SCORES]
  lines = [f"Mean ± std over seeds {', '.join(map(str, seeds))}; train: the "
           "training split clustered (transductive), test: test images "
           "assigned by the fitted model; '—': not defined (the start "
           "hooks' encoders are trained on afterwards).", "",
           "| model | " + " | ".join(columns) + " |",
           "| --- |" + " ---: |" * len(columns)]
  for row in ROWS:
    cells = []
    for c in columns:
      key = f"test_{c}_{row}_mean"
      cells.append(f"{results[key]:.3f} ± "
                   f"{results[f'test_{c}_{row}_std']:.3f}"
                   if key in results else "—")
    lines.append(f"| {row} | " + " | ".join(cells) + " |")
  notes = ["\n".join(lines)]
  values = outputs.get("values", {}).get("train_acc")
  if values:
    per_seed = ["Training-set ACC of every seed:", "",
                "| model | " + " | ".join(f"seed {s}" for s in seeds) + " |",
                "| --- |" + " ---: |" * len(seeds)]
    per_seed += [f"| {row} | " + " | ".join(f"{v:.3f}" for v in values[row])
                 + " |" for row in ROWS if row in values]
    notes.append("\n".join(per_seed))
  best = outputs.get("best")
  if best:
    notes.append(f"The confusion matrix and the images nearest each centre "
                 f"are those of `{best['name']}`, the deep run with the "
                 f"highest training-set ACC.")
  return notes


def build(config: ml_collections.ConfigDict, spec,
          workdir: str | None = None) -> Study:
  """The study on the study's data (`config.data`)."""
  del spec
  s = config.clustering_study
  subs = {run_name(m, seed): sub_config(config, m, seed)
          for m in DEEP for seed in s.seeds}
  return Study(
      runs=functools.partial(registry.sub_runs, configs_by_name=subs,
                             workdir=workdir),
      evaluate=functools.partial(evaluate, config=config), figures=figures,
      report_notes=functools.partial(report_notes, seeds=s.seeds),
      fingerprint={"method": "clustering_study", "seeds": list(s.seeds),
                   **{f: s[f] for f, _ in DEEP.values()}})


def _scores(clusters, labels) -> dict:
  clusters = np.asarray(clusters)
  return {"acc": cluster_eval.accuracy(clusters, labels),
          "nmi": cluster_eval.nmi(clusters, labels),
          "ari": cluster_eval.ari(clusters, labels)}
