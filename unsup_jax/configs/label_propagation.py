"""Config of label spreading over the training images
(`methods/semi_supervised/label_propagation.py`): section `propagation`,
and the two streams of `configs/semi_supervised.py` (labelled and
unlabelled; their batch sizes are not used: the method sees every row at
once)."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Float, Int
from unsup_jax.errors import UserError

PROPAGATION = dict(
    pca_components=Int(50, min=1, doc="PCA codes the graph is built on"),
    neighbours=Int(10, min=1, doc="k of the k-nearest-neighbour graph"),
    alpha=Float(0.2, above=0.0, below=1.0, doc="share of a node's label "
                "taken from its neighbours at each iteration (Zhou et al.)"),
    max_iter=Int(100, min=1, doc="iterations of the spreading"),
)
SECTIONS = {"propagation": PROPAGATION}


def config():
  """Label spreading on 50 PCA codes of gray mnist5k digits, 100 labels."""
  c = base.with_sections("label_propagation", SECTIONS)
  c.data.binarize = "none"
  c.data.streams = {
      "labelled": {"subset": "balanced", "size": 100, "batch_size": 100},
      "unlabelled": {"subset": "rest", "of": "labelled", "batch_size": 100},
  }
  c.train.update(num_steps=0, eval_every=0)
  return c


def check(c) -> None:
  base.require_streams(c, ("labelled", "unlabelled"))
  if c.train.num_steps:
    raise UserError("method 'label_propagation' has no steps (it is fitted "
                    "once); set config.train.num_steps=0")


def smoke(c) -> None:
  c.train.num_steps = 0
  c.propagation.update(pca_components=8, max_iter=10)
  c.data.streams.labelled.size = min(c.data.streams.labelled.size or 20, 20)
