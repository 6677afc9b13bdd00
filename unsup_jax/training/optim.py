"""Optimisers and learning-rate schedules from `config.optim` (optax).

Schedules run over `train.num_steps` (the first phase): "constant"; "cosine"
(Loshchilov & Hutter 2017, SGDR, arXiv:1608.03983, without restarts) and
"linear" decay from `learning_rate` to `final_fraction * learning_rate`;
`warmup_steps` first raise the rate linearly from 0 (Goyal et al. 2017,
arXiv:1706.02677).
"""

import ml_collections
import optax


def learning_rate(config: ml_collections.ConfigDict) -> optax.Schedule | float:
  """The learning rate of `config.optim`: a float or an optax schedule."""
  c = config.optim
  if c.schedule == "constant" and not c.warmup_steps:
    return c.learning_rate
  end = c.learning_rate * c.final_fraction
  decay_steps = max(config.train.num_steps - c.warmup_steps, 1)
  if c.schedule == "cosine":
    decay = optax.cosine_decay_schedule(c.learning_rate, decay_steps,
                                        alpha=c.final_fraction)
  elif c.schedule == "linear":
    decay = optax.linear_schedule(c.learning_rate, end, decay_steps)
  else:
    decay = optax.constant_schedule(c.learning_rate)
  if not c.warmup_steps:
    return decay
  warmup = optax.linear_schedule(0.0, c.learning_rate, c.warmup_steps)
  return optax.join_schedules([warmup, decay], [c.warmup_steps])


def build(config: ml_collections.ConfigDict) -> optax.GradientTransformation:
  """The optimiser named by `config.optim` (adam, adamw or sgd)."""
  c = config.optim
  lr = learning_rate(config)
  if c.name == "adam":
    tx = optax.adam(lr)
  elif c.name == "adamw":
    tx = optax.adamw(lr, weight_decay=c.weight_decay)
  elif c.name == "sgd":
    tx = optax.sgd(lr, momentum=0.9)
  else:
    raise ValueError(f"unknown optimiser {c.name!r}")
  if c.grad_clip_norm > 0:
    tx = optax.chain(optax.clip_by_global_norm(c.grad_clip_norm), tx)
  return tx
