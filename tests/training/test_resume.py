"""Interrupted-then-resumed training ends with exactly the uninterrupted
parameters; checkpoints keep the last K and the data position."""

import os

import chex
import numpy as np
import pytest

from tests.conftest import load_config
from unsup_jax.training import loop


def _config():
  config = load_config("vae_mnist")
  config.train.parallel = "jit"
  config.train.num_steps = 8
  config.train.checkpoint_every = 3
  config.train.keep_checkpoints = 2
  return config


def test_resume_equals_uninterrupted(tmp_path):
  config = _config()
  whole = str(tmp_path / "whole")
  parts = str(tmp_path / "parts")
  loop.run(config, whole, progress=False)
  with pytest.raises(loop.Interrupted) as stopped:
    loop.run(config, parts, stop_after=2, progress=False)     # stops at 2
  assert stopped.value.step == 2
  with pytest.raises(loop.Interrupted):
    loop.run(config, parts, stop_after=3, progress=False)     # 2 -> 5
  assert loop.load_state(config, parts).step == 5
  loop.run(config, parts, progress=False)                     # 5 -> 8

  a, b = loop.load_state(config, whole), loop.load_state(config, parts)
  assert int(a.step) == int(b.step) == 8
  chex.assert_trees_all_equal(a.params, b.params)
  chex.assert_trees_all_equal(a.opt_state, b.opt_state)
  # Only the last `keep_checkpoints` are kept.
  assert sorted(os.listdir(os.path.join(whole, "checkpoints"))) == ["6", "8"]


def test_rerun_of_finished_run_keeps_parameters(tmp_path):
  config = _config()
  config.train.num_steps = 3
  loop.run(config, str(tmp_path), progress=False)
  before = loop.load_state(config, str(tmp_path))
  results = loop.run(config, str(tmp_path), progress=False)
  after = loop.load_state(config, str(tmp_path))
  chex.assert_trees_all_equal(before.params, after.params)
  assert np.isfinite(results["test_nll"])
