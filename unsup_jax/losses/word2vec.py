"""Skip-gram with negative sampling: the loss of each pair and its gradients.

Mikolov, Sutskever, Chen, Corrado & Dean (2013), "Distributed
Representations of Words and Phrases and their Compositionality",
arXiv:1310.4546, Eq. 4: for a centre word with input vector u, its context
word's output vector v and K negative words' output vectors n_k,

  loss = -log sigmoid(u . v) - sum_k log sigmoid(-u . n_k).

The gradients are written out (dloss/d(u.v) = sigmoid(u.v) - 1,
dloss/d(u.n_k) = sigmoid(u.n_k)) so that a step touches only the rows it
uses: no gradient of the whole embedding tables is ever formed.

Pairs come in G groups of S pairs that share their K negatives (S = 1:
every pair has its own, as in word2vec); a negative equal to the pair's
context word is masked out, as word2vec and gensim skip it.
"""

import jax
import jax.numpy as jnp


def sgns_terms(u: jax.Array, positive: jax.Array, negatives: jax.Array,
               mask: jax.Array):
  """Loss and gradients of every pair.

  Args:
    u: `[G, S, D]` input vectors of the centre words.
    positive: `[G, S, D]` output vectors of their context words.
    negatives: `[G, K, D]` output vectors of each group's negatives.
    mask: `[G, S, K]` 1 where a negative counts, 0 where it is skipped.

  Returns:
    `(loss [G, S], grad_u [G, S, D], grad_positive [G, S, D],
    grad_negatives [G, K, D])`: the gradients of the summed loss.
  """
  if u.shape[1] == 1:   # a pair per group: batched dot products
    loss, grad_u, grad_pos, grad_neg = _per_pair(
        u[:, 0], positive[:, 0], negatives, mask[:, 0])
    return loss[:, None], grad_u[:, None], grad_pos[:, None], grad_neg
  pos = jnp.sum(u * positive, axis=-1)                       # [G, S]
  neg = jnp.einsum("gsd,gkd->gsk", u, negatives)             # [G, S, K]
  loss = -jax.nn.log_sigmoid(pos) - jnp.sum(
      mask * jax.nn.log_sigmoid(-neg), axis=-1)
  d_pos = jax.nn.sigmoid(pos) - 1.0
  d_neg = mask * jax.nn.sigmoid(neg)
  grad_u = d_pos[..., None] * positive + jnp.einsum("gsk,gkd->gsd", d_neg,
                                                    negatives)
  grad_positive = d_pos[..., None] * u
  grad_negatives = jnp.einsum("gsk,gsd->gkd", d_neg, u)
  return loss, grad_u, grad_positive, grad_negatives


def _per_pair(u, positive, negatives, mask):
  """`sgns_terms` with one pair per group: u, positive `[B, D]`, negatives
  `[B, K, D]`, mask `[B, K]`."""
  pos = jnp.sum(u * positive, axis=-1)
  neg = jnp.einsum("bd,bkd->bk", u, negatives)
  loss = -jax.nn.log_sigmoid(pos) - jnp.sum(
      mask * jax.nn.log_sigmoid(-neg), axis=-1)
  d_pos = jax.nn.sigmoid(pos) - 1.0
  d_neg = mask * jax.nn.sigmoid(neg)
  grad_u = d_pos[:, None] * positive + jnp.einsum("bk,bkd->bd", d_neg,
                                                  negatives)
  return loss, grad_u, d_pos[:, None] * u, d_neg[..., None] * u[:, None]
