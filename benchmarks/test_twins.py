"""benchmarks/train_throughput.py: the JAX and torch twins are the same models.

Run with `make bench` (or `pytest benchmarks`), which installs PyTorch; the
library's own suite (`make test`) does not install it and does not collect
this file.
Builds the models only; nothing is timed.
"""

import importlib.util
import pathlib

import pytest

import torch  # pylint: disable=unused-import

SCRIPT = (pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
          / "train_throughput.py")


@pytest.fixture(scope="module")
def bench():
  spec = importlib.util.spec_from_file_location("train_throughput", SCRIPT)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


@pytest.mark.parametrize("name", ["mlp_vae", "conv_vae"])
def test_parameter_counts_match(bench, name):
  jax_runner, torch_runner = bench.build_pair(name)
  assert jax_runner.num_params == torch_runner.num_params > 0


def test_torch_conv_vae_shapes(bench):
  _, runner = bench.build_pair("conv_vae")
  model = runner.model
  mean_logvar = model.encoder(runner.x)
  assert tuple(mean_logvar.shape) == (100, 32)
  logits = model.decoder(mean_logvar[:, :16])
  assert tuple(logits.shape) == tuple(runner.x.shape) == (100, 1, 28, 28)
  runner.run(1)  # one eager train step runs
