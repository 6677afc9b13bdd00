"""word2vec as a method: the sparse row update against dense SGD on the whole
tables, pmap = jit, non-finite steps, exact resume, the exported vectors
and projector files, and config errors. The smoke config on the Lee
corpus."""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.helpers import Engine, assert_resumes_exactly, build, \
    first_batches, load_config, pmap_and_jit_states, read_metadata_tsv, \
    read_vectors_tsv, step_of
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.eval import word_vectors as wv
from unsup_jax.methods.text import word2vec as method_lib
from unsup_jax.training import state as state_lib


def _config():
  config = load_config("word2vec_lee")
  config.train.parallel = "jit"
  return config


# The sparse update is SGD on the whole tables.

V, D = 12, 4
CENTRE = np.array([3, 3, 5, 0, 3, 7, 5, 11], np.int32)
CONTEXT = np.array([4, 1, 4, 4, 9, 3, 2, 4], np.int32)
NEGATIVES_PER_PAIR = np.array([   # K = 3; repeats; negatives equal to contexts
    [4, 2, 2],      # 4 is this pair's context: masked
    [4, 0, 1],      # 1 is this pair's context; 4 is others' context
    [6, 6, 6],
    [3, 10, 4],     # 4 masked
    [9, 9, 5],      # both 9s masked
    [11, 3, 7],     # 3 masked; 7 is the centre word (other table)
    [1, 8, 0],
    [2, 2, 4],      # 4 masked
], np.int32)


def _grouped_negatives(group):
  """Each run of `group` rows shares the negatives of its first row, as the
  data gives them."""
  return np.repeat(NEGATIVES_PER_PAIR[::group], group, axis=0)


def _tables(seed=0):
  rng = np.random.default_rng(seed)
  return {"input": jnp.asarray(rng.normal(0, 0.5, (V, D)), jnp.float32),
          "output": jnp.asarray(rng.normal(0, 0.5, (V, D)), jnp.float32)}


def _dense_loss(params, batch):
  """Sum over pairs of the SGNS loss, every vector read from the whole
  tables by one-hot products."""
  onehot = lambda i: jax.nn.one_hot(i, V, dtype=jnp.float32)
  u = onehot(batch["centre"]) @ params["input"]                 # [B, D]
  v = onehot(batch["context"]) @ params["output"]               # [B, D]
  n = onehot(batch["negatives"]) @ params["output"]             # [B, K, D]
  mask = batch["negatives"] != batch["context"][:, None]
  loss = (-jax.nn.log_sigmoid(jnp.sum(u * v, -1))
          - jnp.sum(jnp.where(mask, jax.nn.log_sigmoid(
              -jnp.einsum("bd,bkd->bk", u, n)), 0.0), -1))
  return jnp.sum(loss)


@pytest.mark.parametrize("group", [1, 2, 4])
def test_the_sparse_update_is_sgd_on_the_whole_tables(group):
  lr = 0.3
  params = _tables()
  batch = {"centre": CENTRE, "context": CONTEXT,
           "negatives": _grouped_negatives(group)}
  state = state_lib.TrainState(step=jnp.zeros((), jnp.int32), params=params,
                               opt_state=(), key=jax.random.key(0))
  new, metrics = jax.jit(lambda s, b: method_lib.train_step(
      s, b, learning_rate=lr, group=group))(state, batch)
  loss, grads = jax.value_and_grad(_dense_loss)(params, batch)
  for name in ("input", "output"):
    want = params[name] - lr * grads[name]
    np.testing.assert_allclose(np.asarray(new.params[name]), np.asarray(want),
                               rtol=1e-5, atol=1e-6, err_msg=name)
  # Every input row a pair touches moves; the others do not.
  touched_in = np.isin(np.arange(V), CENTRE)
  moved_in = np.any(np.asarray(new.params["input"] != params["input"]), 1)
  np.testing.assert_array_equal(moved_in, touched_in)
  assert metrics["loss"] == pytest.approx(float(loss) / len(CENTRE),
                                          rel=1e-5)
  assert int(new.step) == 1 and int(new.nonfinite_total) == 0


def test_the_learning_rate_schedule_is_read_at_the_step():
  params = _tables()
  batch = {"centre": CENTRE, "context": CONTEXT,
           "negatives": NEGATIVES_PER_PAIR}
  state = state_lib.TrainState(step=jnp.asarray(3, jnp.int32), params=params,
                               opt_state=(), key=jax.random.key(0))
  schedule = lambda step: 0.1 * (step + 1.0)      # 0.4 at step 3
  new, metrics = method_lib.train_step(state, batch, learning_rate=schedule,
                                       group=1)
  grads = jax.grad(_dense_loss)(params, batch)
  assert float(metrics["learning_rate"]) == pytest.approx(0.4)
  np.testing.assert_allclose(np.asarray(new.params["output"]),
                             np.asarray(params["output"] - 0.4 *
                                        grads["output"]),
                             rtol=1e-5, atol=1e-6)


# The method in the engine.


def test_pmap_steps_equal_jit_steps():
  config = _config()
  config.data.batch_size = 256          # 32 pairs on each of 8 devices
  config.skipgram.negative_group = 8    # 4 groups on each
  method, _ = build(config)
  batches = first_batches(config, 2)
  assert np.array_equal(batches[0]["negatives"][:8],
                        np.repeat(batches[0]["negatives"][:1], 8, 0))
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  a, b = pmap_and_jit_states(step_of(method), state, batches)
  for name in ("input", "output"):
    assert not np.array_equal(a.params[name], state.params[name])
    np.testing.assert_allclose(b.params[name], a.params[name], rtol=1e-5,
                               atol=1e-7, err_msg=name)
  assert int(b.step) == int(a.step) == 2


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_loss_leaves_the_tables_and_is_counted(bad):
  config = _config()
  method, data = build(config)
  good = data.iterator("train").batch_at(0)
  state0 = jax.device_get(method.init(jax.random.key(0), good))
  poisoned = dict(state0.params)
  poisoned["input"] = np.array(state0.params["input"])
  poisoned["input"][good["centre"][0]] = bad
  start = state0.replace(params=poisoned)
  engine = Engine(step_of(method), "jit")
  state, metrics = engine.step(engine.put_state(start),
                               engine.put_batch(good))
  host = engine.get_state(state)
  assert not np.isfinite(engine.get_metrics(metrics)["loss"])
  for name in ("input", "output"):
    np.testing.assert_array_equal(host.params[name], poisoned[name])
  assert int(host.step) == 1
  assert int(host.nonfinite_total) == 1 and int(host.nonfinite_streak) == 1
  # The same batch on clean tables is a normal step that moves them.
  clean = engine.get_state(engine.step(engine.put_state(state0),
                                       engine.put_batch(good))[0])
  assert int(clean.nonfinite_total) == 0
  assert not np.array_equal(clean.params["output"], state0.params["output"])


def test_resumes_exactly_and_exports_what_it_scored(tmp_path):
  config = _config()
  config.train.update(num_steps=6, checkpoint_every=2, eval_every=0)
  results, whole = assert_resumes_exactly(config, tmp_path, stop_after=3)
  assert results["steps"] == 6 and results["nonfinite_total"] == 0

  exported = np.load(os.path.join(whole, "vectors.npz"))
  _, data = build(config, whole)
  words = list(data.corpus.vocab.words)
  assert list(exported["words"]) == words
  np.testing.assert_array_equal(exported["counts"], data.corpus.vocab.counts)
  assert exported["input"].shape == exported["output"].shape == (
      len(words), config.word2vec.dim)
  # The projector's files hold the same vectors (exactly, as float32) and
  # vocabulary.
  with open(os.path.join(whole, "vectors.tsv"), encoding="utf-8") as f:
    np.testing.assert_array_equal(read_vectors_tsv(f.read()),
                                  exported["input"])
  with open(os.path.join(whole, "metadata.tsv"), encoding="utf-8") as f:
    meta_words, meta_counts = read_metadata_tsv(f.read())
  assert meta_words == words
  np.testing.assert_array_equal(meta_counts, data.corpus.vocab.counts)
  for folder, prefix in ((whole, ""), (os.path.join(whole, "tensorboard"),
                                       "../")):
    with open(os.path.join(folder, "projector_config.pbtxt"),
              encoding="utf-8") as f:
      pbtxt = f.read()
    assert f'tensor_path: "{prefix}vectors.tsv"' in pbtxt
    assert f'metadata_path: "{prefix}metadata.tsv"' in pbtxt
  # The score reported is that of the exported vectors.
  scored = wv.word_similarity(words, exported["input"],
                              wv.gensim_test_file("wordsim353.tsv"))
  assert results["test_wordsim353_spearman"] == pytest.approx(
      scored["spearman"], rel=1e-6)
  assert results["test_wordsim353_oov_percent"] == pytest.approx(
      scored["oov_ratio"])
  assert results["test_vocab_size"] == len(words)
  assert results["test_epochs"] == pytest.approx(
      6 * config.data.batch_size / data.view.meta["pairs_per_epoch"])


@pytest.mark.parametrize("change,message", [
    (lambda c: c.optim.update(name="adam"), "must be 'sgd'"),
    (lambda c: c.optim.update(weight_decay=1e-4), "must be 'sgd'"),
    (lambda c: c.data.update(batch_size=100),
     r"batch_size \(100\) must be a multiple of "
     r"config.skipgram.negative_group \(64\)"),
])
def test_bad_settings_are_one_line_user_errors(change, message):
  config = _config()
  configs.validate(config)
  change(config)
  with pytest.raises(UserError, match=message) as err:
    configs.validate(config)
  assert "\n" not in str(err.value)


def test_a_device_batch_that_splits_a_group_is_a_user_error():
  # 256 pairs over 8 devices are 32 a device: not whole groups of 64.
  config = _config()
  method, _ = build(config)
  batch = {"centre": np.zeros(32, np.int32), "context": np.ones(32, np.int32),
           "negatives": np.zeros((32, 5), np.int32)}
  state = method.init(jax.random.key(0), batch)
  with pytest.raises(UserError, match="not a multiple of "
                     r"config.skipgram.negative_group \(64\)") as err:
    step_of(method)(state, batch)
  assert "\n" not in str(err.value)
