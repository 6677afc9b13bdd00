"""Decoding token sequences from an autoregressive model: greedy, sampled
and beam search, compiled as `jax.lax.scan`s of fixed length.

The model is a step function `step(carry, tokens [N]) -> (carry, logits
[N, V])`: the recurrent state after reading `tokens`, and the logits of the
next token. A sequence ends at its first `eos`; after it every position is
`pad` and adds nothing to the score. Scores are sums of log-probabilities
(no length normalisation). Beam search keeps the best hypothesis that has
ended so far beside its beams (a beam can push an ended hypothesis out
with a better prefix whose continuation then costs more), so its result
is never worse than any hypothesis it ended; with a beam of one it is
greedy decoding, and with a beam of at least V^(T-1) it finds the most
probable sequence of at most T tokens exactly.
"""

from typing import Any, Callable

import jax
import jax.numpy as jnp

StepFn = Callable[[Any, jax.Array], tuple[Any, jax.Array]]


def _continue(logp: jax.Array, finished: jax.Array, pad: int) -> jax.Array:
  """Log-probabilities `[..., V]` where a finished sequence can only go on
  with `pad`, at no cost."""
  after_end = jnp.where(jnp.arange(logp.shape[-1]) == pad, 0.0, -jnp.inf)
  return jnp.where(finished[..., None], after_end, logp)


def greedy(step: StepFn, carry, start: jax.Array, *, max_length: int,
           eos: int, pad: int = 0) -> tuple[jax.Array, jax.Array]:
  """The most probable token at every step.

  Args:
    step: the model's step function.
    carry: its initial state for the N sequences.
    start: `[N]` first input tokens (the start marker).
    max_length: tokens generated.
    eos: the end marker; pad: what follows it.

  Returns:
    (`[N, max_length]` int32 tokens, `[N]` their summed log-probabilities).
  """
  def body(loop, _):
    carry, tokens, score, finished = loop
    carry, logits = step(carry, tokens)
    logp = _continue(jax.nn.log_softmax(logits.astype(jnp.float32)),
                     finished, pad)
    nxt = jnp.argmax(logp, axis=-1).astype(jnp.int32)
    score = score + jnp.take_along_axis(logp, nxt[:, None], axis=-1)[:, 0]
    return (carry, nxt, score, finished | (nxt == eos)), nxt

  n = start.shape[0]
  init = (carry, start.astype(jnp.int32), jnp.zeros(n, jnp.float32),
          jnp.zeros(n, bool))
  (_, _, score, _), out = jax.lax.scan(body, init, None, length=max_length)
  return out.T, score


def sample(key: jax.Array, step: StepFn, carry, start: jax.Array, *,
           max_length: int, eos: int, pad: int = 0,
           temperature: float = 1.0) -> tuple[jax.Array, jax.Array]:
  """Ancestral sampling: each token drawn from softmax(logits /
  temperature). Arguments and returns as `greedy` (the score is the
  sequence's log-probability at temperature 1)."""
  def body(loop, step_key):
    carry, tokens, score, finished = loop
    carry, logits = step(carry, tokens)
    logp = jax.nn.log_softmax(logits.astype(jnp.float32))
    drawn = jax.random.categorical(step_key, logp / temperature, axis=-1)
    nxt = jnp.where(finished, pad, drawn).astype(jnp.int32)
    picked = jnp.take_along_axis(logp, nxt[:, None], axis=-1)[:, 0]
    score = score + jnp.where(finished, 0.0, picked)
    return (carry, nxt, score, finished | (nxt == eos)), nxt

  n = start.shape[0]
  init = (carry, start.astype(jnp.int32), jnp.zeros(n, jnp.float32),
          jnp.zeros(n, bool))
  (_, _, score, _), out = jax.lax.scan(body, init,
                                       jax.random.split(key, max_length))
  return out.T, score


def beam_search(step: StepFn, carry, start: jax.Array, *, beam: int,
                max_length: int, eos: int, pad: int = 0
                ) -> tuple[jax.Array, jax.Array]:
  """The best of `beam` hypotheses kept at every step.

  Args:
    step: the model's step function.
    carry: its initial state for the N sequences (every leaf `[N, ...]`);
      it is repeated for the beams.
    start: `[N]` first input tokens.
    beam: hypotheses kept per sequence.
    max_length: tokens generated.
    eos: the end marker; pad: what follows it.

  Returns:
    (`[N, max_length]` int32 tokens of the best hypothesis, `[N]` its summed
    log-probability).
  """
  if beam < 1:
    raise ValueError(f"beam must be >= 1, got {beam}")
  n = start.shape[0]
  flat = lambda a: a.reshape((n * beam,) + a.shape[2:])
  carry = jax.tree.map(lambda a: jnp.repeat(a, beam, axis=0), carry)
  rows = jnp.arange(n)[:, None]

  def body(loop, t):
    carry, tokens, score, finished, pool = loop      # tokens [N, K, T]
    last = jnp.take_along_axis(tokens, jnp.maximum(t - 1, 0)[None, None, None],
                               axis=2)[..., 0]
    last = jnp.where(t == 0, jnp.broadcast_to(start[:, None], last.shape),
                     last)
    carry, logits = step(carry, flat(last))
    logp = jax.nn.log_softmax(logits.astype(jnp.float32))
    logp = _continue(logp.reshape(n, beam, -1), finished, pad)
    vocab = logp.shape[-1]
    cand = (score[..., None] + logp).reshape(n, beam * vocab)
    score, index = jax.lax.top_k(cand, beam)
    parent, token = index // vocab, (index % vocab).astype(jnp.int32)
    carry = jax.tree.map(
        lambda a: flat(a.reshape((n, beam) + a.shape[1:])[rows, parent]),
        carry)
    tokens = tokens[rows, parent].at[:, :, t].set(token)
    ended = (token == eos) & ~finished[rows, parent]
    finished = finished[rows, parent] | ended
    return (carry, tokens, score, finished,
            _keep_best(pool, tokens, jnp.where(ended, score, -jnp.inf))), None

  score = jnp.where(jnp.arange(beam) == 0, 0.0, -jnp.inf)
  empty = jnp.full((n, max_length), pad, jnp.int32)
  init = (carry, jnp.full((n, beam, max_length), pad, jnp.int32),
          jnp.broadcast_to(score, (n, beam)).astype(jnp.float32),
          jnp.zeros((n, beam), bool), (empty, jnp.full(n, -jnp.inf)))
  (_, tokens, score, _, pool), _ = jax.lax.scan(body, init,
                                                jnp.arange(max_length))
  return _keep_best(pool, tokens, score)


def _keep_best(pool, tokens: jax.Array, score: jax.Array):
  """The better, per sequence, of `pool` (tokens `[N, T]`, score `[N]`)
  and the best of the hypotheses `tokens` `[N, K, T]` scored `score`
  `[N, K]` (the pool on ties)."""
  best = jnp.argmax(score, axis=-1)
  rows = jnp.arange(score.shape[0])
  top_tokens, top_score = tokens[rows, best], score[rows, best]
  better = top_score > pool[1]
  return (jnp.where(better[:, None], top_tokens, pool[0]),
          jnp.where(better, top_score, pool[1]))
