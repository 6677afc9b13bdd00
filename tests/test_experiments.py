"""Every experiment's smoke variant trains, evaluates and writes its report;
experiment files document their launch command."""

import os

import numpy as np
import pytest

from tests.helpers import EXPERIMENTS, ROOT, TOUR_EXPERIMENTS, load_config, run
from tests.smoke_reports import check_smoke_report, total_steps
from unsup_jax import configs


def test_every_experiment_is_listed():
  assert {"vae_mnist", "beta_vae_mnist", "conv_vae_mnist",
          "ae_mnist"} <= set(EXPERIMENTS)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_full_config_is_valid(name):
  config, smoke = load_config(name, None), load_config(name)
  configs.validate(config)
  configs.validate(smoke)
  if total_steps(config):
    assert total_steps(config) > total_steps(smoke)
  else:   # fitted once, without steps (label propagation): smaller otherwise
    assert config.to_dict() != smoke.to_dict()


def test_experiment_files_give_their_command():
  """(That importing and validating them starts no JAX is
  `tests/test_layout.py`'s.)"""
  for name in EXPERIMENTS:
    doc = open(os.path.join(ROOT, "experiments", f"{name}.py")).read()
    assert f"--config=experiments/{name}.py" in doc, name


# The tour notebook's experiments run there (`tests/test_notebooks.py`),
# and are checked by the same function.
@pytest.mark.parametrize("name", [n for n in EXPERIMENTS
                                  if n not in TOUR_EXPERIMENTS])
def test_smoke_variant_writes_report(name, tmp_path):
  config = load_config(name)
  config.train.parallel = "jit"
  workdir = str(tmp_path)
  if config.data.name.startswith("tfds:"):  # real-scale configs: mocked data
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
    with tfds.testing.mock_data(num_examples=128):
      results = run(config, workdir)
  else:
    results = run(config, workdir)
  check_smoke_report(name, workdir, results)


def test_gaussian_conv_vae_with_capacity_on_digits(tmp_path):
  """The other corners of the config space: 8x8 digits, conv trunks, a
  Gaussian decoder with learned variance, the capacity objective."""
  config = load_config("conv_vae_mnist")
  config.train.parallel = "jit"
  config.data.name = "digits"
  config.data.binarize = "none"
  config.vae.likelihood = "gaussian"
  config.vae.capacity_max = 5.0
  config.vae.capacity_steps = 4
  results = run(config, str(tmp_path))
  assert np.isfinite(results["test_nll"])
  assert os.path.exists(tmp_path / "figures" / "prior_samples.png")


def test_tfds_dataset_through_the_engine(tmp_path):
  """The tensorflow-datasets path end to end, on mocked data."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  config = load_config("vae_mnist")
  config.train.parallel = "jit"
  config.data.name = "tfds:mnist"
  with tfds.testing.mock_data(num_examples=128):
    results = run(config, str(tmp_path))
  assert np.isfinite(results["test_nll"])
