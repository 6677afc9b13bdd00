"""Which GAN stabilisers matter: an ablation around one recipe.

The recipe is a GAN experiment (`ablation.experiment`, by default the tuned
`dcgan_mnist`) and the stabilisers it uses that are to be ablated
(`ablation.stabilisers`, names of `configs.gan_ablation.STABILISERS`),
and those it does not use that are tried alone on plain DCGAN
(`ablation.also_alone`, at `configs.gan_ablation.ON_VALUES`).
"plain" is the recipe with every one of them switched off (their `gan`
fields at `configs/gan.py`'s defaults); the variants are plain, plain with
each stabiliser added alone ("plus_NAME"), the full recipe ("full"), and
the recipe with each left out ("full_no_NAME"), each trained for
`ablation.num_steps` steps with every seed of `ablation.seeds`, as sub-runs
of the loop (`WORKDIR/runs/VARIANT_seedS`, resumable like any run).

`evaluate` gives each variant's final FID and KID (the averaged
generator's where the variant has one) as mean and standard deviation over
the seeds, `fid_VARIANT_mean`, `fid_VARIANT_std`, `kid_...`, beside the
real-data floor; the figures are the FID curves of every variant (mean over
seeds, the band their range) and the final FIDs as bars.
"""

import functools
import os

import jax
import ml_collections
import numpy as np

from unsup_jax import configs
from unsup_jax.configs import files, gan as gan_config
from unsup_jax.configs.gan_ablation import ON_VALUES, STABILISERS
from unsup_jax.errors import UserError
from unsup_jax.eval import feature_classifier, fid as fid_lib
from unsup_jax.methods import registry
from unsup_jax.training.contract import Study
from unsup_jax.viz import gan_ablation as viz

PLAIN, FULL = "plain", "full"


def _off(field: str):
  return gan_config.FIELDS[field].default


def variants(stabilisers, also_alone=()) -> dict[str, frozenset]:
  """Variant name -> the stabilisers it switches on, in the order plain,
  plus_*, full, full_no_*, without duplicates (with one stabiliser x,
  "plus_x" is "full" and "full_no_x" is "plain": those two are kept).
  `also_alone` are only added to plain."""
  names = tuple(dict.fromkeys(stabilisers))
  every = frozenset(names)
  out = {PLAIN: frozenset()}
  out.update({f"plus_{s}": frozenset([s])
              for s in names + tuple(dict.fromkeys(also_alone))})
  out[FULL] = every
  out.update({f"full_no_{s}": every - {s} for s in names})
  kept = {}
  for name in [PLAIN, FULL] + [n for n in out if n not in (PLAIN, FULL)]:
    if out[name] not in kept.values():
      kept[name] = out[name]
  return {n: on for n, on in out.items() if n in kept}


def recipe(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """The recipe's full config; a UserError for an ablated stabiliser the
  recipe does not use."""
  a = config.ablation
  full = files.load_experiment(a.experiment, a.model_variant or None,
                              field="ablation.experiment")
  if full.method != "gan":
    raise UserError(f"config.ablation.experiment {a.experiment!r} is not a "
                    f"GAN experiment (its method is {full.method!r})")
  for s in a.stabilisers:
    if all(full.gan[f] == _off(f) for f in STABILISERS[s]):
      raise UserError(f"config.ablation.stabilisers: {a.experiment!r} does "
                      f"not use {s!r} ({', '.join(STABILISERS[s])} are at "
                      f"their defaults)")
  return full


def variant_config(config, full, on: frozenset, seed: int
                   ) -> ml_collections.ConfigDict:
  """The recipe with the ablated stabilisers outside `on` switched off, on
  the study's data, budget and seed."""
  a = config.ablation
  sub = ml_collections.ConfigDict(full.to_dict())
  for s in set(a.stabilisers) - on:
    for f in STABILISERS[s]:
      sub.gan[f] = _off(f)
  for s in set(a.also_alone) & on:
    sub.gan.update(ON_VALUES[s])
  files.on_study_data(sub, config)
  sub.seed = seed
  sub.train.update(num_steps=a.num_steps, eval_every=a.eval_every,
                   checkpoint_every=a.eval_every or a.num_steps,
                   parallel=config.train.parallel)
  configs.validate(sub)
  return sub


def run_name(variant: str, seed: int) -> str:
  return f"{variant}_seed{seed}"


def study_configs(config) -> dict:
  """`{(variant, seed): config}` of every sub-run."""
  a = config.ablation
  full = recipe(config)
  return {(v, s): variant_config(config, full, on, s)
          for v, on in variants(a.stabilisers, a.also_alone).items()
          for s in dict.fromkeys(a.seeds)}


def seed_statistics(scores: dict) -> dict:
  """`{k}_{variant}_mean` and `_std` over the seeds of FID, KID and the raw
  generator's FID, from `{variant: [metrics of each seed]}`."""
  metrics = {}
  for v, rows in scores.items():
    for k in ("fid", "kid", "fid_raw"):
      if k in rows[0]:
        values = np.asarray([r[k] for r in rows], np.float64)
        metrics[f"{k}_{v}_mean"] = float(values.mean())
        metrics[f"{k}_{v}_std"] = float(values.std(ddof=1)
                                        if len(values) > 1 else 0.0)
  return metrics


def evaluate(states, data, key, *, full: bool, runs, config, subs: dict,
             workdir: str | None):
  """Each variant's final FID and KID (its own quick evaluation) over the
  seeds, beside the real-data floor."""
  del full
  a = config.ablation
  seeds = tuple(dict.fromkeys(a.seeds))
  scores = {}
  for (v, s) in subs:
    sub = runs[run_name(v, s)]
    metrics, _ = sub.method.evaluate(states[sub.name], sub.data.view,
                                     jax.random.fold_in(key, s), full=False)
    scores.setdefault(v, []).append(metrics)
  metrics = seed_statistics(scores)
  clf = feature_classifier.cached(subs[PLAIN, seeds[0]].gan.fid_classifier,
                                  workdir)
  floor = fid_lib.fid_kid(clf.features(data.split("train")["image"]),
                          clf.features(data.split("test")["image"]))
  metrics.update(fid_floor=floor["fid"], kid_floor=floor["kid"])
  table = variants(a.stabilisers, a.also_alone)
  return metrics, {"variants": list(table), "seeds": list(seeds),
                   "scores": {v: [r["fid"] for r in rows]
                              for v, rows in scores.items()},
                   "fid_floor": metrics["fid_floor"],
                   "switched_on": {v: sorted(on) for v, on in table.items()}}


def figures(outputs, outdir, *, num_steps: int):
  path = lambda name: os.path.join(outdir, f"{name}.png")
  history = outputs.get("history") or {}
  curves = {v: [history.get(run_name(v, s), []) for s in outputs["seeds"]]
            for v in outputs["variants"]}
  return {"fid_curves": viz.fid_curves(curves, path("fid_curves"),
                                       floor=outputs["fid_floor"],
                                       final=outputs["scores"],
                                       final_step=num_steps),
          "final_fid": viz.final_fid(outputs["scores"], path("final_fid"),
                                     floor=outputs["fid_floor"])}


def report_notes(results, outputs):
  return [viz.results_table(results, outputs["variants"], outputs["seeds"],
                            outputs["switched_on"])]


def build(config: ml_collections.ConfigDict, spec,
          workdir: str | None = None) -> Study:
  """The ablation study for the images of `spec`."""
  a = config.ablation
  if tuple(spec.image_shape) != feature_classifier.IMAGE_SHAPE:
    raise UserError(f"the GAN ablation compares FIDs, which need 28x28x1 "
                    f"digits; config.data.name {config.data.name!r} has "
                    f"images of {tuple(spec.image_shape)}")
  subs = study_configs(config)
  return Study(
      runs=functools.partial(registry.sub_runs, workdir=workdir,
                             configs_by_name={run_name(v, s): sub
                                              for (v, s), sub in subs.items()}),
      evaluate=functools.partial(evaluate, config=config, subs=subs,
                                 workdir=workdir),
      figures=functools.partial(figures, num_steps=a.num_steps),
      report_notes=report_notes,
      fingerprint={"method": "gan_ablation", "experiment": a.experiment,
                   "stabilisers": list(a.stabilisers),
                   "also_alone": list(a.also_alone),
                   "seeds": list(dict.fromkeys(a.seeds)),
                   "num_steps": a.num_steps,
                   "image_shape": list(spec.image_shape)})
