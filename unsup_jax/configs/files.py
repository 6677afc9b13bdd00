"""Loading another experiment's config file (for studies built from them)."""

import importlib.util
import os

import ml_collections

from unsup_jax.errors import UserError

# The repository root: relative experiment paths are read from here when
# they are not found from the current directory.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def experiment_path(name_or_path: str) -> str:
  """`experiments/NAME.py` for a bare name, else the path as given; a
  relative path is looked up from the current directory, then the root."""
  path = name_or_path
  if os.sep not in path and not path.endswith(".py"):
    path = os.path.join("experiments", f"{path}.py")
  if os.path.isabs(path) or os.path.isfile(path):
    return path
  return os.path.join(ROOT, path)


def load_experiment(name_or_path: str, variant: str | None = None, *,
                    field: str) -> ml_collections.ConfigDict:
  """`get_config(variant)` of an experiment file (`field` names the config
  field that asked for it, in errors)."""
  path = experiment_path(name_or_path) if name_or_path else ""
  if not path or not os.path.isfile(path):
    raise UserError(f"config.{field} {name_or_path!r} is not an experiment "
                    f"file (looked for {path or 'nothing'})")
  name = "_experiment_" + os.path.splitext(os.path.basename(path))[0]
  spec = importlib.util.spec_from_file_location(name, path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(variant or None)


# The data fields a study's sub-runs take from the study's own config, so
# that every sub-run trains and is evaluated on the same examples.
STUDY_DATA_FIELDS = ("name", "data_dir", "num_train", "num_test")


def on_study_data(sub: ml_collections.ConfigDict,
                  study: ml_collections.ConfigDict,
                  extra_fields: tuple[str, ...] = ()) -> None:
  """Copies the study's `STUDY_DATA_FIELDS` (and `extra_fields`) of
  `config.data` into the sub-run config `sub`, in place."""
  for f in STUDY_DATA_FIELDS + tuple(extra_fields):
    sub.data[f] = study.data[f]


def sub_run_config(study: ml_collections.ConfigDict, section: str,
                   field: str, method: str, *,
                   seed: int | None = None) -> ml_collections.ConfigDict:
  """The config of a study's sub-run: the experiment named by
  `study[section][field]` (its `model_variant` variant, when the section
  has one), which must configure `method`, on the study's data, with the
  study's seed (or `seed`) and parallel mode and no evaluation during
  training (the study evaluates at the end). Not yet validated: callers
  adjust it first."""
  s = study[section]
  sub = load_experiment(s[field], s.get("model_variant") or None,
                        field=f"{section}.{field}")
  if sub.method != method:
    raise UserError(f"config.{section}.{field} {s[field]!r} configures "
                    f"method {sub.method!r}, not {method!r}")
  on_study_data(sub, study)
  sub.seed = study.seed if seed is None else seed
  sub.train.update(eval_every=0, parallel=study.train.parallel)
  return sub
