"""The one loop on data that is not images: a tiny bigram model of token
sequences, written here against the method contract.

It draws two streams with different batch sizes, has a whole-data hook
between its phases and a periodic one inside a phase; it checkpoints,
resumes exactly, and gives the same states under jit, pmap and mesh."""

import functools
import json
import os

import chex
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from unsup_jax import errors
from unsup_jax import configs
from unsup_jax.configs import base
from unsup_jax.data import streams
from unsup_jax.data.dataset import Dataset
from unsup_jax.training import loop, run as run_lib, state as state_lib, \
    step as step_lib
from unsup_jax.training.contract import Hook, Method, Phase

VOCAB, LENGTH = 5, 6
CALLS = {"kmeans": 0}


def token_dataset(n_train=96, n_test=24, seed=0) -> Dataset:
  """Sequences of a random walk on VOCAB tokens, labelled by start token
  parity: features `tokens` [N, LENGTH] and `label` [N]."""
  rng = np.random.default_rng(seed)

  def split(n):
    start = rng.integers(0, VOCAB, n)
    steps = rng.choice([-1, 1], size=(n, LENGTH - 1))
    tokens = np.concatenate([start[:, None], start[:, None] + np.cumsum(
        steps, axis=1)], axis=1) % VOCAB
    return {"tokens": tokens.astype(np.int32),
            "label": (start % 2).astype(np.int32)}
  return Dataset.create("tokens", {"train": split(n_train),
                                   "test": split(n_test)},
                        num_classes=2, vocab_size=VOCAB)


def bigram_nll(table, tokens):
  """Mean -log p(next | previous) of `[B, T]` tokens under `table` logits."""
  logp = jax.nn.log_softmax(table[tokens[:, :-1]], axis=-1)
  picked = jnp.take_along_axis(logp, tokens[:, 1:, None], axis=-1)
  return -jnp.mean(picked)


def two_stream_step(state, batch, *, tx, axis_name=None):
  """Bigram NLL of the unlabelled stream plus a label term on the labelled
  stream (a logit per class from the first token), with per-example noise
  keyed by global index (so pmap and mesh draw what jit draws)."""
  lab, unl = batch["labelled"], batch["unlabelled"]
  keys = jax.vmap(lambda i: jax.random.fold_in(step_lib.step_key(state), i))(
      jnp.arange(unl["tokens"].shape[0]) + step_lib.example_offset(
          unl["tokens"].shape[0], axis_name))
  jitter = jax.vmap(lambda k: jax.random.normal(k, ()))(keys)

  def loss_fn(params):
    nll = bigram_nll(params["table"], unl["tokens"])
    logits = params["cls"][lab["tokens"][:, 0]]
    ce = optax.softmax_cross_entropy_with_integer_labels(
        logits, lab["label"]).mean()
    loss = nll + ce + 1e-3 * jnp.mean(jitter) * jnp.sum(params["table"])
    return loss, {"loss": loss, "loss_nll": nll, "loss_ce": ce,
                  "labelled_batch": jnp.float32(lab["tokens"].shape[0]),
                  "unlabelled_batch": jnp.float32(unl["tokens"].shape[0])}

  (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params)
  return step_lib.apply_gradients(state, grads, metrics, tx,
                                  axis_name=axis_name, extra=state.extra)


def plain_step(state, batch, *, tx, axis_name=None):
  def loss_fn(params):
    nll = bigram_nll(params["table"], batch["tokens"])
    return nll, {"loss": nll}
  (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params)
  return step_lib.apply_gradients(state, grads, metrics, tx,
                                  axis_name=axis_name, extra=state.extra)


def centre_hook(state, data, key):
  """Whole-data: sets the table to the bigram log-frequencies of the whole
  training split (plus noise from the key)."""
  CALLS["kmeans"] += 1
  tokens = data.split("train")["tokens"]
  counts = np.ones((VOCAB, VOCAB))
  np.add.at(counts, (tokens[:, :-1], tokens[:, 1:]), 1)
  table = np.log(counts / counts.sum(1, keepdims=True)) + 0.01 * np.asarray(
      jax.random.normal(key, (VOCAB, VOCAB)))
  params = dict(state.params, table=jnp.asarray(table, jnp.float32))
  extra = dict(state.extra, hooks=state.extra["hooks"] + 1)
  return state.replace(params=params, extra=extra)


def refresh_hook(state, data, key):
  """Periodic: records the step it ran at."""
  del data, key
  extra = dict(state.extra, refreshes=state.extra["refreshes"] + 1,
               last_refresh=jnp.asarray(state.step, jnp.int32))
  return state.replace(extra=extra)


def build(config) -> Method:
  tx = optax.sgd(0.5)

  def init(key, batch):
    assert set(batch) == {"labelled", "unlabelled"}
    params = {"table": jax.random.normal(key, (VOCAB, VOCAB)) * 0.1,
              "cls": jnp.zeros((VOCAB, 2))}
    extra = {"hooks": jnp.zeros((), jnp.int32),
             "refreshes": jnp.zeros((), jnp.int32),
             "last_refresh": jnp.full((), -1, jnp.int32)}
    return state_lib.create(jax.random.fold_in(key, 1), params, tx, extra)

  def evaluate(state, data, key, *, full):
    del key, full
    nll = float(bigram_nll(state.params["table"],
                           data.split("test")["tokens"]))
    return {"nll": nll}, {"table": np.asarray(state.params["table"])}

  return Method(
      init=init,
      phases=(Phase("pre", 3, functools.partial(two_stream_step, tx=tx),
                    streams=("labelled", "unlabelled")),
              Hook("centres", centre_hook),
              Phase("fine", 5, functools.partial(plain_step, tx=tx),
                    every=2, hook=refresh_hook)),
      evaluate=evaluate, figures=lambda outputs, outdir: {},
      fingerprint={"method": "bigram"})


def make_config(parallel="jit", steps_per_call=1):
  c = base.base_config()
  c.method = "bigram"     # not a registered method: built here by hand
  c.data.batch_size = 16
  c.data.streams = ml_collections.ConfigDict({
      "labelled": {"split": "train", "batch_size": 8, "subset": "balanced",
                   "size": 32},
      "unlabelled": {"split": "train", "batch_size": 16, "subset": "rest",
                     "of": "labelled"}})
  c.train.update(num_steps=8, log_every=1, checkpoint_every=2,
                 eval_every=0, parallel=parallel,
                 steps_per_call=steps_per_call)
  base.check(c)
  return c


def train(config, workdir, **kwargs):
  data = streams.prepare(token_dataset(), config)
  return loop.train(config, build(config), data, str(workdir),
                    progress=False, **kwargs)


def test_streams_have_their_sizes_and_subsets():
  config = make_config()
  data = streams.prepare(token_dataset(), config)
  lab, unl = data.streams["labelled"], data.streams["unlabelled"]
  labels = data.dataset.split("train")["label"]
  assert len(lab.rows) == 32 and np.bincount(labels[lab.rows]).tolist() == [
      16, 16]
  assert not set(lab.rows) & set(unl.rows)
  assert len(lab.rows) + len(unl.rows) == 96
  spec = data.spec()
  assert spec.shape("tokens", "labelled") == (LENGTH,)
  assert spec.meta["vocab_size"] == VOCAB
  # Each process takes its slice of every global batch, and together they
  # make the single-process batch.
  whole = data.iterator("unlabelled").batch_at(5)
  halves = [data.iterator("unlabelled", process_index=i,
                          process_count=2).batch_at(5) for i in range(2)]
  np.testing.assert_array_equal(
      np.concatenate([h["tokens"] for h in halves]), whole["tokens"])


def test_two_streams_run_and_resume_exactly(tmp_path):
  CALLS["kmeans"] = 0
  whole = train(make_config(), tmp_path / "whole")
  assert CALLS["kmeans"] == 1
  records = [json.loads(l) for l in open(tmp_path / "whole" /
                                         "metrics.jsonl")]
  pre = [r for r in records if "labelled_batch" in r]
  assert [r["labelled_batch"] for r in pre] == [8, 8, 8]
  assert [r["unlabelled_batch"] for r in pre] == [16, 16, 16]
  assert all("fine_loss" in r for r in records if r["step"] > 3)
  assert int(whole.state.extra["hooks"]) == 1
  # The periodic hook ran before steps 1, 3 and 5 of the second phase.
  assert int(whole.state.extra["refreshes"]) == 3
  assert int(whole.state.extra["last_refresh"]) == 7

  CALLS["kmeans"] = 0
  parts = tmp_path / "parts"
  for budget in (2, 1, 2):       # stops at 2, 3 (after the hook), 5
    with pytest.raises(errors.Interrupted):
      train(make_config(), parts, budget=loop.Budget(budget))
  resumed = train(make_config(), parts)
  # The whole-data hook ran once in all, also across the resumes.
  assert CALLS["kmeans"] == 1
  chex.assert_trees_all_equal(resumed.state.params, whole.state.params)
  chex.assert_trees_all_equal(resumed.state.extra, whole.state.extra)
  meta_dir = tmp_path / "parts" / "checkpoints" / "8" / "meta"
  meta = json.load(open(next(meta_dir.iterdir())))
  assert meta["hooks_done"] == ["centres"]
  assert meta["data"]["positions"] == {"labelled": 3, "unlabelled": 3,
                                       "train": 5}


def test_an_interrupt_before_the_hook_runs_it_on_resume(tmp_path):
  CALLS["kmeans"] = 0
  config = make_config()
  config.train.checkpoint_every = 3   # a checkpoint where the hook stands
  with pytest.raises(errors.Interrupted):
    train(config, tmp_path, budget=loop.Budget(2))
  assert CALLS["kmeans"] == 0
  done = train(config, tmp_path)
  assert CALLS["kmeans"] == 1 and int(done.state.extra["hooks"]) == 1


@pytest.mark.parametrize("parallel,steps_per_call", [
    ("pmap", 1), ("mesh", 1), ("jit", 2), ("mesh", 2)])
def test_modes_and_scanned_steps_equal_jit(tmp_path, parallel, steps_per_call):
  assert jax.device_count() == 8
  ref = train(make_config(), tmp_path / "ref")
  other = train(make_config(parallel, steps_per_call), tmp_path / "other")
  chex.assert_trees_all_close(other.state.params, ref.state.params,
                              rtol=1e-5, atol=1e-6)
  chex.assert_trees_all_equal(other.state.extra, ref.state.extra)
  logged = lambda w: [json.loads(l) for l in open(w / "metrics.jsonl")]
  a, b = logged(tmp_path / "ref"), logged(tmp_path / "other")
  assert [r["step"] for r in a] == [r["step"] for r in b]
  for x, y in zip(a, b):
    assert x.get("loss", x.get("fine_loss")) == pytest.approx(
        y.get("loss", y.get("fine_loss")), rel=1e-5)


def test_run_evaluates_and_reports(tmp_path):
  config = make_config()
  data = streams.prepare(token_dataset(), config)
  results = run_lib.run(config, build(config), data, str(tmp_path),
                        progress=False)
  assert results["steps"] == 8 and np.isfinite(results["test_nll"])
  assert os.path.exists(tmp_path / "report.md")


def test_an_undefined_stream_is_a_user_error(tmp_path):
  config = make_config()
  config.data.streams = ml_collections.ConfigDict()
  with pytest.raises(Exception, match="stream 'labelled'"):
    train(config, tmp_path)
  with pytest.raises(Exception, match="config.data.streams.labelled.size"):
    bad = make_config()
    bad.data.streams.labelled.size = -1
    configs.base.check(bad)
