"""Every experiment's smoke variant trains, evaluates and writes its report."""

import json
import os
import re

import ml_collections
import numpy as np
import pytest

from tests.conftest import EXPERIMENTS, load_config
from unsup_jax.training import config as config_lib, loop


def test_every_experiment_is_listed():
  assert {"vae_mnist", "beta_vae_mnist", "conv_vae_mnist",
          "ae_mnist"} <= set(EXPERIMENTS)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_full_config_is_valid(name):
  config = load_config(name, None)
  config_lib.validate(config)
  assert config.train.num_steps > load_config(name).train.num_steps


# Figures each method family must show (others are checked in their own
# tests under tests/methods/); iterative methods also get training curves.
EXPECTED_FIGURES = {
    "vae": {"reconstructions", "interpolations", "latent_space",
            "prior_samples", "traversals"},
    "autoencoder": {"reconstructions", "interpolations", "latent_space"},
    "vqvae": {"reconstructions", "codebook_usage", "code_maps", "samples"},
}


def _total_steps(config):
  """Training steps of every phase (sections with `num_steps`, as in
  `config.make_smoke`)."""
  return sum(s.num_steps for s in config.values()
             if isinstance(s, ml_collections.ConfigDict) and "num_steps" in s)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_smoke_variant_writes_report(name, tmp_path):
  config = load_config(name)
  config.train.parallel = "jit"
  workdir = str(tmp_path)
  if config.data.name.startswith("tfds:"):  # real-scale configs: mocked data
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
    with tfds.testing.mock_data(num_examples=128):
      results = loop.run(config, workdir, progress=False)
  else:
    results = loop.run(config, workdir, progress=False)
  with open(os.path.join(workdir, "results.json")) as f:
    written = json.load(f)
  assert written and all(isinstance(v, (int, float)) or v is None
                         for v in written.values())
  assert results.keys() == written.keys()
  iterative = os.path.exists(os.path.join(workdir, "metrics.jsonl"))
  if iterative:
    assert written["steps"] == _total_steps(config)
    lines = open(os.path.join(workdir, "metrics.jsonl")).read().splitlines()
    steps = [json.loads(l)["step"] for l in lines]
    assert steps and steps[-1] == _total_steps(config)
  if "test_mse" in written:
    assert np.isfinite(written["test_mse"]) and written["test_mse"] < 1
  if config.method == "vae":
    assert written["test_iwae_samples"] == config.eval.iwae_samples
    # The importance-weighted bound is at least as tight as the ELBO.
    assert -written["test_nll"] >= written["test_elbo"] - 1.0

  report = open(os.path.join(workdir, "report.md")).read()
  links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
  shown = {os.path.splitext(os.path.basename(l))[0] for l in links}
  assert shown, "the report shows no figure"
  assert EXPECTED_FIGURES.get(config.method, set()) <= shown
  assert ("training_curves" in shown) == iterative
  for link in links:
    assert os.path.getsize(os.path.join(workdir, link)) > 1000
  for key in written:
    assert key in report


def test_gaussian_conv_vae_with_capacity_on_digits(tmp_path):
  """The other corners of the config space: 8x8 digits, conv trunks, a
  Gaussian decoder with learned variance, the capacity objective."""
  config = load_config("conv_vae_mnist")
  config.train.parallel = "jit"
  config.data.name = "digits"
  config.data.binarize = "none"
  config.model.likelihood = "gaussian"
  config.loss.capacity_max = 5.0
  config.loss.capacity_steps = 4
  results = loop.run(config, str(tmp_path), progress=False)
  assert np.isfinite(results["test_nll"])
  assert os.path.exists(tmp_path / "figures" / "prior_samples.png")


def test_tfds_dataset_through_the_engine(tmp_path):
  """The tensorflow-datasets path end to end, on mocked data."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  config = load_config("vae_mnist")
  config.train.parallel = "jit"
  config.data.name = "tfds:mnist"
  with tfds.testing.mock_data(num_examples=128):
    results = loop.run(config, str(tmp_path), progress=False)
  assert np.isfinite(results["test_nll"])
