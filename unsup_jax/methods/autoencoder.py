"""The deterministic autoencoder, trained to reconstruct its input.

Hinton & Salakhutdinov (2006), Science 313. `model.likelihood` picks the
reconstruction loss: "bce" (pixels as Bernoulli logits) or "mse" (squared
error, decoder output used directly). Maths: `losses/reconstruction.py`.
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import reconstruction
from unsup_jax.methods import base, common
from unsup_jax.models.autoencoder import Autoencoder
from unsup_jax.training import optim, state as state_lib, step as step_lib

LOSSES = ("bce", "mse")


def build(config: ml_collections.ConfigDict,
          image_shape: tuple[int, int, int]) -> base.Method:
  """The autoencoder method for images of `image_shape`."""
  m = config.model
  common.check_likelihood(m.likelihood, LOSSES)
  model = Autoencoder(kind=m.kind, encoder_hidden=tuple(m.encoder_hidden),
                      decoder_hidden=tuple(m.decoder_hidden),
                      latent_dim=m.latent_dim, image_shape=image_shape)
  tx = optim.build(config)
  apply = lambda params, *a, method: model.apply({"params": params}, *a,
                                                 method=method)
  to_image = jax.nn.sigmoid if m.likelihood == "bce" else (lambda y: y)

  @jax.jit
  def init(key, batch):
    param_key, run_key = jax.random.split(key)
    params = model.init(param_key, batch["image"][:1])["params"]
    return state_lib.create(run_key, params, tx)

  def loss_fn(params, x):
    out = apply(params, x, method=Autoencoder.__call__)
    return reconstruction.reconstruction_loss(x, out, kind=m.likelihood)

  def train_step(state, batch, *, axis_name=None):
    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params, batch["image"])
    return step_lib.apply_gradients(state, grads, metrics, tx,
                                    axis_name=axis_name)

  @jax.jit
  def eval_batch(params, x):
    code = apply(params, x, method=Autoencoder.encode)
    out = apply(params, code, method=Autoencoder.decode)
    per_example = (reconstruction.bce_with_logits(x, out) if m.likelihood == "bce"
                   else reconstruction.squared_error(x, out))
    return dict(rec=per_example,
                mse=reconstruction.mse_per_pixel(x, to_image(out)), code=code)

  def evaluate(state, images, labels, key, *, full=True):
    del labels, key, full
    out = map_batches(functools.partial(eval_batch, state.params), images,
                      batch_size=config.eval.batch_size)
    return {"loss_rec": float(np.mean(out["rec"])),
            "mse": float(np.mean(out["mse"]))}

  def figures(state, images, labels, key, outdir):
    del key
    params = state.params
    encode = jax.jit(lambda x: apply(params, x, method=Autoencoder.encode))
    decode = jax.jit(lambda z: to_image(apply(params, z,
                                              method=Autoencoder.decode)))
    codes = map_batches(encode, images, batch_size=config.eval.batch_size)
    return common.latent_figures(outdir, images=images, labels=labels,
                                 codes=codes, decode=decode)

  fingerprint = {"method": "autoencoder", "model": m.to_dict(),
                 "image_shape": list(image_shape)}
  return base.Method(init, train_step, evaluate, figures, fingerprint)
