"""PCA of mnist5k (Pearson 1901; Hotelling 1933): 64 components, closed form.

The linear baseline of the autoencoders: compare its held-out reconstruction
error at k = 2, 10 and 32 components with ae_mnist's, and its 2-D latent space
with the VAE's.
"""

import ml_collections

from unsup_jax.training.config import apply_variant, base_config


def get_config(arg=None):
  c = base_config()
  c.method = "pca"
  c.data.binarize = "none"
  c.pca = ml_collections.ConfigDict()
  c.pca.num_components = 64      # K kept (<= min(train examples, pixels))
  c.pca.streaming = False        # True: covariance from batches, then eigh
  c.pca.batch_size = 500         # batch of the streamed covariance
  c.pca.eval_components = (2, 10, 32)
  return apply_variant(c, arg)
