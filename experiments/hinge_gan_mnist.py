"""DCGAN on mnist5k trained with the hinge loss (Lim & Ye 2017)."""

from unsup_jax.methods.gan import add_config
from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = add_config(base_config(), loss="hinge")
  c.data.batch_size = 64
  c.train.num_steps = 2000
  c.train.eval_every = 500
  c.train.checkpoint_every = 500
  return apply_variant(c, arg)
