"""The clustering study: shallow baselines against DEC, IDEC and VaDE.

Every model clusters the study's training split into
`clustering_study.num_clusters` groups, once per seed of
`clustering_study.seeds`:

* baselines, run in the evaluation (`ops/clustering.py`): k-means
  (`restarts` k-means++ starts, the lowest inertia kept) and a diagonal GMM
  (EM from the best k-means, `reg_covar` added to every variance) on raw
  pixels and on the first `pca_components` PCA codes of the pixels;
* k-means and GMM on autoencoder codes: the start hooks of the deep
  models, DEC's k-means on its pre-trained autoencoder's codes and VaDE's
  GMM on its pre-trained encoder's means (their training-set scores, kept
  in each sub-run's state);
* DEC, IDEC and VaDE: sub-runs (`WORKDIR/runs/MODEL_seedS`, each resumable)
  built from `dec_experiment`, `idec_experiment` and `vade_experiment`.

Scores are the training split's (transductive, as the papers report) and
the test split's (test images assigned by each fitted model: the nearest
centre, the most probable component); ACC, NMI and ARI, mean ± std over
the seeds in one table; the figure shows every seed as a dot.
"""

import functools
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax import configs
from unsup_jax.configs import files
from unsup_jax.errors import UserError
from unsup_jax.eval import clustering as cluster_eval
from unsup_jax.methods import registry
from unsup_jax.ops import clustering, pca, quantize
from unsup_jax.training.contract import Study
from unsup_jax.viz import disentanglement as viz_strips

# sub-run model -> (config field of its experiment, its method)
DEEP = {"dec": ("dec_experiment", "dec"), "idec": ("idec_experiment", "dec"),
        "vade": ("vade_experiment", "vade")}
BASELINES = ("kmeans_pixels", "gmm_pixels", "kmeans_pca", "gmm_pca")
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


def _flat(images) -> jnp.ndarray:
  x = jnp.asarray(images, jnp.float32)
  return x.reshape(x.shape[0], -1)


@functools.partial(jax.jit, static_argnames=("k", "restarts"))
def _kmeans(key, x, test, *, k, restarts):
  fit = clustering.kmeans(key, x, k, restarts=restarts)
  test_labels = quantize.nearest_code(test, fit.centres)
  return fit.labels, test_labels


@functools.partial(jax.jit, static_argnames=("k", "restarts"))
def _gmm(key, x, test, reg_covar, *, k, restarts):
  fit = clustering.gmm(key, x, k, covariance="diag", restarts=restarts,
                       reg_covar=reg_covar)
  return clustering.predict(x, fit.gmm), clustering.predict(test, fit.gmm)


def baselines(train_images, test_images, key, s) -> dict:
  """`{row: (train clusters, test clusters)}` of the four baselines."""
  x, t = _flat(train_images), _flat(test_images)
  state = pca.fit(x, s.pca_components)
  codes = {"pixels": (x, t), "pca": (pca.transform(state, x),
                                     pca.transform(state, t))}
  out = {}
  for name, (a, b) in codes.items():
    k_key, g_key = jax.random.split(jax.random.fold_in(key, len(name)))
    out[f"kmeans_{name}"] = jax.device_get(_kmeans(
        k_key, a, b, k=s.num_clusters, restarts=s.restarts))
    out[f"gmm_{name}"] = jax.device_get(_gmm(
        g_key, a, b, s.reg_covar, k=s.num_clusters, restarts=s.restarts))
  return out


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


def baseline_values(train, test, labels: dict, key, s) -> dict:
  """`{score: {row: value}}` of the four shallow baselines of one seed."""
  values = {f"{split}_{n}": {} for split in SPLITS for n in SCORES}
  for row, pair in baselines(train["image"], test["image"], key, s).items():
    for split, clusters in zip(SPLITS, pair):
      got = _scores(clusters, labels[split])
      for n in SCORES:
        values[f"{split}_{n}"][row] = got[n]
  return values


def evaluate(states, data, key, *, full: bool, runs, config):
  """ACC, NMI and ARI of every row (baselines, start hooks, deep models)
  on both splits, mean and std over the seeds."""
  del full
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
    found = baseline_values(train, test, labels,
                            jax.random.fold_in(key, seed), s)
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
  return metrics, {"values": shown}


def figures(outputs, outdir):
  return {"clustering_scores": viz_strips.metric_strips(
      outputs["values"], os.path.join(outdir, "clustering_scores.png"),
      title="Clustering scores: seeds as dots, mean as bar")}


def report_notes(results, outputs, *, seeds):
  del outputs
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
  return ["\n".join(lines)]


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
