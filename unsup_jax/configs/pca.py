"""Config of PCA (`methods/compression/pca.py`): section `pca`."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Bool, Int, Ints
from unsup_jax.errors import UserError

FIELDS = dict(
    num_components=Int(64, min=1, doc="K kept (<= min(examples, pixels))"),
    streaming=Bool(False, doc="covariance from batches, then eigh"),
    batch_size=Int(500, min=1, doc="batch of the streamed covariance"),
    eval_components=Ints((2, 10, 32), min=1,
                         doc="test reconstructions at these k"),
)
SECTIONS = {"pca": FIELDS}


def config():
  return base.with_sections("pca", SECTIONS)


def check(c) -> None:
  k = c.pca.num_components
  if any(e > k for e in c.pca.eval_components):
    raise UserError(f"config.pca.eval_components must be integers in "
                    f"[1, num_components={k}], got {tuple(c.pca.eval_components)!r}")
