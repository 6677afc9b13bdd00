"""The disentanglement study: every model, dataset and seed, every metric.

After Locatello et al. (2019), "Challenging Common Assumptions in the
Unsupervised Learning of Disentangled Representations", arXiv:1811.12359,
at a CPU-sized budget: each model of `study.models`
(`configs/disentanglement_study.MODELS`: β-VAE at β = 1, 4, 16, β-TCVAE,
FactorVAE, DIP-VAE-I, Ada-GVAE) is trained on each factor dataset of
`study.datasets` with each seed as a resumable sub-run
(`WORKDIR/runs/MODEL_DATASET_seedS`); the weakly supervised model gets the
dataset's pairs. `evaluate` scores every sub-run with every metric of
`eval/disentanglement/` and reports, per dataset, each metric's mean ± std
over seeds per model, and two spreads: the mean over models of the std
over seeds, and the std over models of the seed means (Locatello et al.
found the first as large as the second). The figures are the metrics over
models and seeds, one strip plot per dataset.
"""

import functools
import os

import jax
import ml_collections
import numpy as np

from unsup_jax import configs
from unsup_jax.configs import files
from unsup_jax.configs.disentanglement_study import METRICS, MODELS
from unsup_jax.data import factors, loader
from unsup_jax.methods import registry
from unsup_jax.training.contract import Study, SubRun
from unsup_jax.viz import disentanglement as viz


def run_name(model: str, dataset: str, seed: int) -> str:
  return f"{model}_{dataset}_seed{seed}"


def sub_config(config, model: str, dataset: str, seed: int
               ) -> ml_collections.ConfigDict:
  s = config.study
  experiment, overrides = MODELS[model]
  sub = files.load_experiment(experiment, s.model_variant or None,
                              field="study.models")
  sub.vae.update(overrides)
  paired = sub.method == "weak_vae"
  sub.data.name = dataset + (factors.PAIRED if paired else "")
  if not s.model_variant:
    sub.data.update(num_train=s.num_train // 2 if paired else s.num_train,
                    batch_size=s.batch_size, num_test=s.num_test)
    sub.vae.update(encoder_hidden=tuple(s.channels),
                   decoder_hidden=tuple(s.channels)[::-1],
                   iwae_samples=s.iwae_samples,
                   quick_iwae_samples=min(s.iwae_samples,
                                          sub.vae.quick_iwae_samples),
                   disentangle_scale=s.disentangle_scale)
  sub.seed = seed
  sub.train.update(num_steps=s.num_steps, eval_every=0,
                   checkpoint_every=s.num_steps,
                   parallel=config.train.parallel)
  configs.validate(sub)
  return sub


def run_keys(s) -> list[tuple[str, str, int]]:
  """`(model, dataset, seed)` of every sub-run, dataset by dataset."""
  return [(m, d, seed) for d in s.datasets for m in s.models
          for seed in s.seeds]


def runs(data, *, subs: dict, workdir: str | None) -> list:
  """Every sub-run on its own dataset (the study's own data is not
  read)."""
  del data
  out = []
  for k, sub in subs.items():
    sub_data = loader.load(sub)
    out.append(SubRun(run_name(*k), sub,
                      registry.build(sub, sub_data.spec(), workdir), sub_data))
  return out


def summary(scores: dict, s) -> dict:
  """Per dataset and metric: each model's mean and std over seeds, and the
  two spreads (mean over models of the std over seeds; std over models of
  the seed means)."""
  metrics = {}
  for d in s.datasets:
    for name in METRICS:
      means, stds = [], []
      for mdl in s.models:
        v = np.asarray([scores[mdl, d, seed][name] for seed in s.seeds])
        metrics[f"{name}_{mdl}_{d}_mean"] = float(v.mean())
        metrics[f"{name}_{mdl}_{d}_std"] = float(
            v.std(ddof=1) if len(v) > 1 else 0.0)
        means.append(v.mean())
        stds.append(metrics[f"{name}_{mdl}_{d}_std"])
      metrics[f"{name}_{d}_seed_spread"] = float(np.mean(stds))
      metrics[f"{name}_{d}_model_spread"] = float(
          np.std(means, ddof=1) if len(means) > 1 else 0.0)
  return metrics


def evaluate(states, data, key, *, full: bool, runs, config):
  """Every metric of every sub-run (its own full evaluation), summarised
  by `summary`."""
  del data, full
  s = config.study
  scores = {}
  for k in run_keys(s):
    sub = runs[run_name(*k)]
    m, _ = sub.method.evaluate(states[sub.name], sub.data.view,
                               jax.random.fold_in(key, k[2]), full=True)
    scores[k] = {name: m[name] for name in METRICS}
  values = {d: {name: {mdl: [scores[mdl, d, seed][name]
                             for seed in s.seeds] for mdl in s.models}
                for name in METRICS} for d in s.datasets}
  return summary(scores, s), {"values": values}


def figures(outputs, outdir):
  return {f"metrics_{d}": viz.metric_strips(
      v, os.path.join(outdir, f"metrics_{d}.png"),
      title=f"Disentanglement metrics on {d}: seeds as dots, mean as bar")
          for d, v in outputs["values"].items()}


def report_notes(results, outputs, *, config):
  del outputs
  s = config.study
  notes = []
  for d in s.datasets:
    lines = [f"**{d}**: mean ± std over seeds {', '.join(map(str, s.seeds))}"
             f" ({s.num_steps} steps per model).", "",
             "| model | " + " | ".join(METRICS) + " |",
             "| --- |" + " ---: |" * len(METRICS)]
    for mdl in s.models:
      cells = [f"{results[f'test_{n}_{mdl}_{d}_mean']:.3f} ± "
               f"{results[f'test_{n}_{mdl}_{d}_std']:.3f}" for n in METRICS]
      lines.append(f"| {mdl} | " + " | ".join(cells) + " |")
    lines.append("| spread over seeds (mean std) | " + " | ".join(
        f"{results[f'test_{n}_{d}_seed_spread']:.3f}" for n in METRICS)
                 + " |")
    lines.append("| spread over models (std of means) | " + " | ".join(
        f"{results[f'test_{n}_{d}_model_spread']:.3f}" for n in METRICS)
                 + " |")
    notes.append("\n".join(lines))
  return notes


def build(config: ml_collections.ConfigDict, spec,
          workdir: str | None = None) -> Study:
  """The study (the study's own data is not read: each sub-run loads its
  dataset)."""
  del spec
  s = config.study
  subs = {k: sub_config(config, *k) for k in run_keys(s)}
  return Study(
      runs=functools.partial(runs, subs=subs, workdir=workdir),
      evaluate=functools.partial(evaluate, config=config), figures=figures,
      report_notes=functools.partial(report_notes, config=config),
      fingerprint={"method": "disentanglement_study",
                   "models": list(s.models), "datasets": list(s.datasets),
                   "seeds": list(s.seeds), "num_steps": s.num_steps,
                   "num_train": s.num_train, "channels": list(s.channels),
                   "batch_size": s.batch_size,
                   "disentangle_scale": s.disentangle_scale})
