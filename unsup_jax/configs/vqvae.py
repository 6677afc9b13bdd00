"""Config of the VQ-VAE (`methods/discrete/vqvae.py`): sections `vq` (the
autoencoder, its codebooks; phase "train" of `train.num_steps`) and `prior`
(the PixelCNN, phase "prior" of `prior.num_steps`). Defaults are sized for
28x28 digits."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Float, Int
from unsup_jax.errors import UserError

VQ = dict(
    levels=Int(1, min=1, max=2, doc="1: VQ-VAE; 2: VQ-VAE-2 (top + bottom)"),
    num_codes=Int(128, min=2, doc="K, per level"),
    embedding_dim=Int(16, min=1, doc="D"),
    hidden=Int(64, min=1, doc="encoder/decoder channels"),
    residual_hidden=Int(32, min=1),
    num_residual=Int(2, min=0),
    num_down=Int(2, min=1, doc="stride-2 convs to the bottom map (28 -> 7)"),
    commitment=Float(0.25, min=0.0, doc="beta"),
    decay=Float(0.99, above=0.0, below=1.0, doc="EMA codebook"),
    epsilon=Float(1e-5, above=0.0, doc="Laplace smoothing of EMA counts"),
    kmeans_iters=Int(10, min=0,
                     doc="k-means start on the encoded training set; 0 = off"),
    kmeans_points=Int(20000, min=1,
                      doc="encoder outputs the k-means start clusters"),
    restart_after=Int(100, min=0,
                      doc="restart codes unused this many steps; 0 = off"),
)
PRIOR = dict(
    num_steps=Int(2000, min=0, doc="second phase; 0 = no prior"),
    channels=Int(32, min=1),
    num_layers=Int(6, min=1),
    kernel_size=Int(3, min=1),
    learning_rate=Float(1e-3, above=0.0),
    temperature=Float(1.0, above=0.0),
    num_samples=Int(64, min=1),
)
SECTIONS = {"vq": VQ, "prior": PRIOR}


def config(*, levels: int = 1):
  c = base.with_sections("vqvae", SECTIONS)
  c.vq.levels = levels
  return c


def check(c) -> None:
  if c.prior.kernel_size % 2 == 0:
    raise UserError(f"config.prior.kernel_size must be odd, got "
                    f"{c.prior.kernel_size}")


def smoke(c) -> None:
  """Shallower stacks (one residual block, a two-layer prior): compiling,
  not the few steps, is a smoke run's cost, and it grows with depth."""
  c.vq.num_residual = min(c.vq.num_residual, 1)
  c.prior.num_layers = min(c.prior.num_layers, 2)
