"""Interrupted-then-resumed training ends with exactly the uninterrupted
parameters; checkpoints keep the last K; the log holds every step once."""

import json
import os

import chex
import numpy as np
import pytest

from tests.helpers import load_config, load_state, run
from unsup_jax import errors


def _config():
  config = load_config("vae_mnist")
  config.train.parallel = "jit"
  config.train.num_steps = 8
  config.train.checkpoint_every = 3
  config.train.keep_checkpoints = 2
  config.train.log_every = 1
  return config


def test_resume_equals_uninterrupted(tmp_path):
  config = _config()
  whole = str(tmp_path / "whole")
  parts = str(tmp_path / "parts")
  run(config, whole)
  with pytest.raises(errors.Interrupted) as stopped:
    run(config, parts, stop_after=2)                          # stops at 2
  assert stopped.value.step == 2
  with pytest.raises(errors.Interrupted):
    run(config, parts, stop_after=3)                          # 2 -> 5
  assert load_state(config, parts).step == 5
  run(config, parts)                                          # 5 -> 8

  a, b = load_state(config, whole), load_state(config, parts)
  assert int(a.step) == int(b.step) == 8
  chex.assert_trees_all_equal(a.params, b.params)
  chex.assert_trees_all_equal(a.opt_state, b.opt_state)
  # Only the last `keep_checkpoints` are kept.
  assert sorted(os.listdir(os.path.join(whole, "checkpoints"))) == ["6", "8"]
  # Every step is logged once, with the uninterrupted run's numbers.
  read = lambda w: [json.loads(l) for l in open(os.path.join(w,
                                                             "metrics.jsonl"))]
  train = lambda rs: [r for r in rs if "loss" in r]
  assert [r["step"] for r in train(read(parts))] == list(range(1, 9))
  for x, y in zip(train(read(whole)), train(read(parts))):
    assert x["loss"] == pytest.approx(y["loss"], rel=1e-6)


def test_rerun_of_finished_run_keeps_parameters(tmp_path):
  config = _config()
  config.train.num_steps = 3
  run(config, str(tmp_path))
  before = load_state(config, str(tmp_path))
  results = run(config, str(tmp_path))
  after = load_state(config, str(tmp_path))
  chex.assert_trees_all_equal(before.params, after.params)
  assert np.isfinite(results["test_nll"])
