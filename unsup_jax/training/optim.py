"""Optimisers from the config (optax)."""

import ml_collections
import optax


def build(config: ml_collections.ConfigDict) -> optax.GradientTransformation:
  """The optimiser named by `config.optim` (adam, adamw or sgd)."""
  c = config.optim
  if c.name == "adam":
    tx = optax.adam(c.learning_rate)
  elif c.name == "adamw":
    tx = optax.adamw(c.learning_rate, weight_decay=c.weight_decay)
  elif c.name == "sgd":
    tx = optax.sgd(c.learning_rate, momentum=0.9)
  else:
    raise ValueError(f"unknown optimiser {c.name!r}")
  if c.grad_clip_norm > 0:
    tx = optax.chain(optax.clip_by_global_norm(c.grad_clip_norm), tx)
  return tx
