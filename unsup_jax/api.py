"""The public API: what a notebook needs, in a few calls.

  import unsup_jax as uj

  config = uj.get_config("vae_mnist", "smoke")   # experiments/vae_mnist.py
  data = uj.load_data(config)                    # streams + evaluation view
  method = uj.build_method(config, data)         # resolved by name
  results = uj.run(config, "workdirs/vae")       # train, evaluate, report
  state = uj.load_state(config, "workdirs/vae")  # the latest checkpoint
  metrics, outputs = uj.evaluate(config, state)  # test numbers and arrays

The pure maths is in `uj.ops` (distributions, quantisation, PCA, ...) and
`uj.losses` (ELBO, reconstruction, adversarial, ...).
"""

from typing import Any

import jax
import ml_collections

from unsup_jax import configs
from unsup_jax.configs import files
from unsup_jax.data import streams
from unsup_jax.methods import registry
from unsup_jax.training import loop, run as run_lib


def get_config(experiment: str,
               variant: str | None = None) -> ml_collections.ConfigDict:
  """`experiments/EXPERIMENT.py`'s config (`variant` "smoke": a few
  seconds of work), validated."""
  config = files.load_experiment(experiment, variant, field="experiment")
  configs.validate(config)
  return config


def load_data(config: ml_collections.ConfigDict,
              workdir: str | None = None) -> streams.Data:
  """The run's data (`data.streams.Data`): streams, transforms, `.view`
  (every split as evaluated) and `.spec()` (text data is kept in
  `workdir`)."""
  return streams.load(config, workdir)


def build_method(config: ml_collections.ConfigDict, data=None, *,
                 workdir: str | None = None):
  """The method `config.method` names, built for `data` (a `Data`, a
  `Spec`, or None to load the config's data)."""
  data = load_data(config, workdir) if data is None else data
  spec = data.spec() if hasattr(data, "spec") and callable(data.spec) else data
  return registry.build(config, spec, workdir)


def run(config: ml_collections.ConfigDict, workdir: str, *,
        progress: bool = True) -> dict:
  """Trains (or resumes), evaluates and reports, as `launch.py` does."""
  configs.validate(config)
  data = load_data(config, workdir)
  return run_lib.run(config, build_method(config, data, workdir=workdir),
                     data, workdir, progress=progress)


def load_state(config: ml_collections.ConfigDict, workdir: str) -> Any:
  """The latest checkpointed state of the run in `workdir` (a study's:
  `{sub-run: state}`)."""
  configs.validate(config)
  data = load_data(config, workdir)
  return run_lib.load_state(config, build_method(config, data,
                                                 workdir=workdir),
                            data, workdir)


def evaluate(config: ml_collections.ConfigDict, state, *,
             workdir: str | None = None, full: bool = True,
             key: jax.Array | None = None) -> tuple[dict, dict]:
  """`(metrics, outputs)` of the method's evaluation of `state` on the
  config's test split (outputs: the arrays its figures plot)."""
  data = load_data(config, workdir)
  method = build_method(config, data, workdir=workdir)
  key = jax.random.key(config.seed) if key is None else key
  return method.evaluate(state, data.view, key, full=full)


__all__ = ["get_config", "load_data", "build_method", "run", "load_state",
           "evaluate", "loop"]
