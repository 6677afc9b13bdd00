"""PCA of mnist5k (Pearson 1901; Hotelling 1933): 64 components, closed form.

The linear baseline of the autoencoders: compare its held-out reconstruction
error at k = 2, 10 and 32 components with ae_mnist's, and its 2-D latent space
with the VAE's. The fit is one whole-data phase.

  python launch.py --config=experiments/pca_mnist.py --workdir=workdirs/pca_mnist
"""

from unsup_jax import configs
from unsup_jax.configs import pca


def get_config(arg=None):
  c = pca.config()
  c.data.binarize = "none"
  c.pca.num_components = 64
  c.pca.streaming = False
  c.pca.eval_components = (2, 10, 32)
  return configs.variant(c, arg)
