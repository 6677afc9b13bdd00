"""Config of N2D (`methods/clustering/n2d.py`): sections `autoencoder`
(the network and its pre-training, phase "train" of `train.num_steps` steps
with `config.optim`; the fields of `configs/autoencoder.py`) and `n2d` (the
UMAP manifold and the mixture fitted to it).

Defaults follow McConville et al. (2020) on MNIST: DEC's 784-500-500-2000-10
autoencoder, a UMAP of its codes into as many dimensions as clusters with
20 neighbours and minimum distance 0, a full-covariance GMM. Pre-training
is DEC's (`configs/dec.py`): 6,000 steps (375 epochs of mnist5k at batch
256) on randomly shifted and warped images. Measured on mnist5k (seed 0,
a stand-alone script with the same network): UMAP + GMM on the codes gave
0.83, 0.81 and 0.91 training-set ACC after 1,000, 3,000 and 6,000 plain
steps, 0.93 after 6,000 augmented ones (k-means on the same codes: 0.63
plain, 0.87 augmented).
"""

from unsup_jax.configs import autoencoder, base
from unsup_jax.configs.schema import Float, Int

N2D = dict(
    num_clusters=Int(10, min=2),
    umap_dims=Int(10, min=1, doc="dimensions of the UMAP embedding"),
    umap_neighbors=Int(20, min=2, doc="UMAP's n_neighbors"),
    umap_min_dist=Float(0.0, min=0.0, doc="UMAP's min_dist"),
    test_neighbors=Int(10, min=1, doc="a test image takes the cluster most "
                      "common among this many nearest training codes"),
    augment=base.Augment("augmentation of the pre-training batches "
                         "(e.g. 'translation,affine')"),
    shown_per_cluster=Int(10, min=1,
                          doc="training images nearest each centre shown"),
)
SECTIONS = {"autoencoder": autoencoder.FIELDS, "n2d": N2D}


def config():
  """N2D at the paper's MNIST settings."""
  c = base.with_sections("n2d", SECTIONS)
  c.data.batch_size = 256
  c.autoencoder.update(kind="mlp", encoder_hidden=(500, 500, 2000),
                       decoder_hidden=(2000, 500, 500), latent_dim=10,
                       likelihood="bce", probe_labels=())
  c.n2d.augment = "translation,affine"
  c.train.update(num_steps=6000, eval_every=0, checkpoint_every=1000)
  return c


check = autoencoder.check


def smoke(c) -> None:
  """A narrow network and a small manifold."""
  c.autoencoder.update(encoder_hidden=(32,), decoder_hidden=(32,))
  c.n2d.update(umap_neighbors=5, umap_dims=2, test_neighbors=3,
               shown_per_cluster=2)
