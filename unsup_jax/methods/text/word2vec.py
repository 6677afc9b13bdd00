"""word2vec: skip-gram with negative sampling, trained by sparse SGD.

Mikolov, Chen, Corrado & Dean (2013), "Efficient Estimation of Word
Representations in Vector Space", arXiv:1301.3781, and Mikolov et al.
(2013), arXiv:1310.4546. The pairs (subsampling, dynamic windows,
negatives from unigram^0.75) come from `data/skipgram.py`; the loss and
its gradients from `losses/word2vec.py`; config: `configs/word2vec.py`;
evaluation: `word2vec_eval.py`.

The state holds the input vectors (`params["input"]`, word2vec's syn0,
started uniform in [-0.5/D, 0.5/D]) and the output vectors
(`params["output"]`, syn1neg, started at 0). A step gathers the rows of
its pairs, computes the gradients of the summed pair losses with respect
to those rows only, and adds -learning_rate x gradient to them in place
(`.at[rows].add`, the tables donated to the compiled step): its cost is
that of the rows it touches, whatever the vocabulary, with no dense
gradient and no optimiser state. All pairs of a step see the same
vectors; duplicates of a row add up, as word2vec's updates of one job do.
The learning rate decays linearly over the steps (`optim`). Under pmap
each device computes its pairs' row gradients and every device applies all
of them (gathered over the devices), so the replicas stay equal and equal
one device's step.
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections

from unsup_jax.errors import UserError
from unsup_jax.losses import word2vec as w2v_loss
from unsup_jax.methods.text import word2vec_eval
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import Method, Phase


def init(key, batch, *, vocab_size: int, dim: int) -> state_lib.TrainState:
  del batch  # Shapes come from the spec.
  k_in, k_run = jax.random.split(key)
  params = {"input": (jax.random.uniform(k_in, (vocab_size, dim)) - 0.5) / dim,
            "output": jnp.zeros((vocab_size, dim))}
  return state_lib.TrainState(step=jnp.zeros((), jnp.int32), params=params,
                              opt_state=(), key=k_run)


def row_gradients(params, batch, *, group: int):
  """Loss per pair and the gradient rows of one batch.

  Returns:
    `(loss [B], input rows [B], input gradients [B, D], output rows [R],
    output gradients [R, D])` with R = B + (B / group) K: each pair's
    context row, then each group's negative rows.
  """
  c, x, n = batch["centre"], batch["context"], batch["negatives"]
  b = c.shape[0]
  if b % group:
    raise UserError(f"the batch of {b} pairs on a device is not a multiple "
                    f"of config.skipgram.negative_group ({group})")
  g = b // group
  n = n[::group]                                          # [G, K]
  w_in, w_out = params["input"], params["output"]
  u = w_in[c].reshape(g, group, -1)
  dim = u.shape[-1]
  mask = (n[:, None, :] != x.reshape(g, group)[:, :, None]).astype(u.dtype)
  if group == 1:   # one gather of each pair's context and negatives
    rows = jnp.concatenate([x[:, None], n], axis=1)       # [B, K + 1]
    v = w_out[rows]
    loss, grad_u, grad_pos, grad_neg = w2v_loss.sgns_terms(
        u, v[:, :1], v[:, 1:], mask)
    out_grads = jnp.concatenate([grad_pos, grad_neg], axis=1)
    return (loss.reshape(b), c, grad_u.reshape(b, dim), rows.reshape(-1),
            out_grads.reshape(-1, dim))
  loss, grad_u, grad_pos, grad_neg = w2v_loss.sgns_terms(
      u, w_out[x].reshape(g, group, -1), w_out[n], mask)
  return (loss.reshape(b), c, grad_u.reshape(b, dim),
          jnp.concatenate([x, n.reshape(-1)]),
          jnp.concatenate([grad_pos.reshape(b, dim),
                           grad_neg.reshape(-1, dim)]))


def train_step(state, batch, *, learning_rate, group: int, axis_name=None):
  """One sparse SGD step on a batch of pairs (`data/skipgram.py`)."""
  loss, in_rows, in_grads, out_rows, out_grads = row_gradients(
      state.params, batch, group=group)
  lr = learning_rate(state.step) if callable(learning_rate) else jnp.float32(
      learning_rate)
  metrics = {"loss": jnp.mean(loss), "learning_rate": lr}
  if axis_name is not None:
    gather = lambda a: jax.lax.all_gather(a, axis_name, tiled=True)
    in_rows, in_grads, out_rows, out_grads = map(
        gather, (in_rows, in_grads, out_rows, out_grads))
    metrics = jax.lax.pmean(metrics, axis_name)
  # The gradients are the vectors times factors in [-1, 1]: finite whenever
  # the loss is (checking it alone keeps the update fused into the step).
  finite = jnp.isfinite(metrics["loss"])

  def update():
    p = state.params
    return ({"input": p["input"].at[in_rows].add(-lr * in_grads),
             "output": p["output"].at[out_rows].add(-lr * out_grads)},
            state.opt_state, state.extra)
  return step_lib.apply_update(state, finite, update, metrics)


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """word2vec for the skip-gram data of `spec`."""
  w = config.word2vec
  vocab_size = int(spec.meta["vocab_size"])
  step = functools.partial(train_step,
                           learning_rate=optim.learning_rate(config),
                           group=config.skipgram.negative_group)
  st = word2vec_eval.setting(config, spec)
  return Method(
      init=step_lib.jit_once(functools.partial(init, vocab_size=vocab_size,
                                               dim=w.dim)),
      phases=(Phase("train", config.train.num_steps, step),),
      evaluate=functools.partial(word2vec_eval.evaluate, st=st),
      figures=word2vec_eval.figures,
      report_notes=functools.partial(word2vec_eval.report_notes, st=st),
      fingerprint={"method": "word2vec", "dim": w.dim,
                   "vocab_size": vocab_size, "source": spec.dataset})
