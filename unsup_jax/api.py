"""The public API: what a notebook (and `launch.py`) needs, in a few calls.

  import unsup_jax as uj

  config = uj.get_config("vae_mnist", "smoke")   # experiments/vae_mnist.py
  data = uj.load_data(config)                    # streams + evaluation view
  method = uj.build_method(config, data)         # resolved by name
  results = uj.run(config, "workdirs/vae")       # train, evaluate, report
  state = uj.load_state(config, "workdirs/vae")  # the latest checkpoint
  metrics, outputs = uj.evaluate(config, state)  # test numbers and arrays

The pure maths is in `uj.ops` (distributions, quantisation, PCA, ...) and
`uj.losses` (ELBO, reconstruction, adversarial, ...). Importing this module
does not start JAX: configs are validated first, so bad settings fail in a
fraction of a second, and the engine is imported when a call needs it.
"""

from typing import Any

import ml_collections

from unsup_jax import configs
from unsup_jax.configs import files


def get_config(experiment: str,
               variant: str | None = None) -> ml_collections.ConfigDict:
  """`experiments/EXPERIMENT.py`'s config (`variant` "smoke": a few
  seconds of work), validated."""
  config = files.load_experiment(experiment, variant, field="experiment")
  configs.validate(config)
  return config


def load_data(config: ml_collections.ConfigDict, workdir: str | None = None):
  """The run's data (`training.contract.Data`): streams, transforms, `.view`
  (every split as evaluated) and `.spec()` (text data is kept in
  `workdir`)."""
  from unsup_jax.data import loader  # pylint: disable=g-import-not-at-top
  return loader.load(config, workdir)


def build_method(config: ml_collections.ConfigDict, data=None, *,
                 workdir: str | None = None):
  """The method `config.method` names, built for `data` (a `Data`, a
  `Spec`, or None to load the config's data)."""
  from unsup_jax.methods import registry  # pylint: disable=g-import-not-at-top
  data = load_data(config, workdir) if data is None else data
  spec = data.spec() if hasattr(data, "spec") and callable(data.spec) else data
  return registry.build(config, spec, workdir)


def run(config: ml_collections.ConfigDict, workdir: str, *,
        progress: bool = True, coordinator_address: str | None = None,
        num_processes: int | None = None,
        process_id: int | None = None) -> dict:
  """Trains (or resumes), evaluates and reports `config` in `workdir`.

  The config is validated once, here, before JAX starts; with the three
  multi-process arguments (all or none) this process joins a
  `jax.distributed` run first. Raises a one-line `errors.UserError` for
  bad input, and the engine's `training.loop.Interrupted`, `Diverged` and
  `training.run.NonFiniteResults` (see `training/run.py`).
  """
  configs.validate(config)
  from unsup_jax.training import distributed, run as run_lib  # pylint: disable=g-import-not-at-top
  distributed.initialize(coordinator_address, num_processes, process_id)
  data = load_data(config, workdir)
  return run_lib.run(config, build_method(config, data, workdir=workdir),
                     data, workdir, progress=progress)


def load_state(config: ml_collections.ConfigDict, workdir: str) -> Any:
  """The latest checkpointed state of the run in `workdir` (a study's:
  `{sub-run: state}`)."""
  configs.validate(config)
  from unsup_jax.training import run as run_lib  # pylint: disable=g-import-not-at-top
  data = load_data(config, workdir)
  return run_lib.load_state(config, build_method(config, data,
                                                 workdir=workdir),
                            data, workdir)


def evaluate(config: ml_collections.ConfigDict, state, *,
             workdir: str | None = None, full: bool = True,
             key=None) -> tuple[dict, dict]:
  """`(metrics, outputs)` of the method's evaluation of `state` on the
  config's test split (outputs: the arrays its figures plot; a study's
  `state` is `{sub-run: state}`)."""
  import jax  # pylint: disable=g-import-not-at-top
  from unsup_jax.training.contract import Study  # pylint: disable=g-import-not-at-top
  data = load_data(config, workdir)
  method = build_method(config, data, workdir=workdir)
  key = jax.random.key(config.seed) if key is None else key
  if isinstance(method, Study):
    runs = {r.name: r for r in method.runs(data)}
    return method.evaluate(state, data.view, key, full=full, runs=runs)
  return method.evaluate(state, data.view, key, full=full)


__all__ = ["get_config", "load_data", "build_method", "run", "load_state",
           "evaluate"]
