"""Image inpainting with a context encoder, optionally adversarial.

Pathak et al. (2016), "Context Encoders: Feature Learning by Inpainting",
arXiv:1604.07379. Every step removes a region of each training image
(`config.inpaint.mask`: "centre" square, random "squares" or random
"pixels"; `ops/masks.py`; config: `configs/inpainting.py`) and trains an
encoder-decoder to fill it (`models/inpainting.py`). The loss is the squared
error on the hole, per hole pixel (plus `known_weight` times that on the
known pixels), and with `adversarial_weight > 0` also an adversarial
generator loss (`losses/adversarial.py`) from a discriminator trained in the
same step to tell real images from images whose hole the generator filled.

Both networks live in one parameter tree `{"generator", "discriminator"}`
with one optax transform (`optax.multi_transform` by top-level key): the
generator's gradient comes from the reconstruction plus weighted generator
loss (the discriminator held fixed), the discriminator's from its own loss
(the generator's output held fixed). Without the adversarial term the
discriminator is frozen.

Evaluation uses fixed masks on the test set (key `inpaint.eval_seed`) and
compares the hole error with filling the hole by the mean training image
(a running mean over the training batches seen, in `state.extra`) and by 0.
"""

import functools
import os
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import adversarial, reconstruction
from unsup_jax.eval import latents
from unsup_jax.models.inpainting import (ContextEncoder, Discriminator,
                                         context_input)
from unsup_jax.ops import masks
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import Method, Phase
from unsup_jax.viz import inpainting as viz_inpainting

def hole_loss(x: jax.Array, out: jax.Array, mask: jax.Array, *,
              known_weight: float = 0.0) -> tuple[jax.Array, dict]:
  """The context encoder's reconstruction loss, averaged over the batch.

  Args:
    x: `[B, H, W, C]` complete images.
    out: `[B, H, W, C]` the generator's images.
    mask: `[B, H, W, 1]`, 1 = hole.
    known_weight: weight of the squared error on the known pixels.

  Returns:
    (loss, {"loss_hole", "loss_known"}): per-example mean squared errors
    over the hole and over the known pixels, averaged over the batch;
    loss = loss_hole + known_weight * loss_known.
  """
  hole = jnp.mean(masks.masked_mse(x, out, mask))
  known = jnp.mean(masks.masked_mse(x, out, 1.0 - mask))
  return hole + known_weight * known, dict(loss_hole=hole, loss_known=known)


def optimizer(config: ml_collections.ConfigDict, *,
              train_discriminator: bool) -> optax.GradientTransformation:
  """`config.optim` on each network separately (one optax transform)."""
  transforms = {"generator": optim.build(config),
                "discriminator": (optim.build(config) if train_discriminator
                                  else optax.set_to_zero())}
  labels = lambda params: {k: jax.tree.map(lambda _, k=k: k, v)
                           for k, v in params.items()}
  return optax.multi_transform(transforms, labels)


class Networks(NamedTuple):
  """The context encoder (generator), its discriminator and their losses:
  what every function of the method takes."""
  generator: ContextEncoder
  discriminator: Discriminator
  adversarial: Any            # `losses.adversarial.get(...)`'s pair
  ic: Any                     # the `inpaint` section, frozen (hashable)


def networks(config: ml_collections.ConfigDict, image_shape) -> Networks:
  ic = config.inpaint
  return Networks(
      generator=ContextEncoder(image_shape=tuple(image_shape),
                               encoder_channels=tuple(ic.encoder_channels),
                               bottleneck=ic.bottleneck,
                               decoder_channels=tuple(ic.decoder_channels)),
      discriminator=Discriminator(channels=tuple(ic.disc_channels)),
      adversarial=adversarial.get(ic.adversarial_loss),
      ic=ml_collections.FrozenConfigDict(ic))


def make_mask(nets: Networks, key, shape, *, offset=0):
  """`[B, H, W, 1]` masks of `inpaint.mask` (1 = hole)."""
  ic = nets.ic
  return masks.make_mask(key, shape, kind=ic.mask, size=ic.size,
                         count=ic.count, fraction=ic.fraction, offset=offset)


def generate(nets: Networks, params, x, mask):
  """The generator's images from the known pixels of `x`."""
  return jax.nn.sigmoid(nets.generator.apply({"params": params},
                                             context_input(x, mask)))


def init(key, batch, *, nets: Networks, tx):
  param_key, disc_key, run_key = jax.random.split(key, 3)
  x = batch["image"][:1]
  params = {
      "generator": nets.generator.init(
          param_key, context_input(x, jnp.zeros_like(x[..., :1])))["params"],
      "discriminator": nets.discriminator.init(disc_key, x)["params"]}
  extra = {"mean_image": jnp.zeros(x.shape[1:], jnp.float32),
           "seen": jnp.zeros((), jnp.float32)}
  return state_lib.create(run_key, params, tx, extra=extra)


def loss_fn(params, x, mask, *, nets: Networks):
  """The generator's hole loss (plus its weighted adversarial loss) and the
  discriminator's loss, summed: each network's gradient only sees its own
  objective (stop_gradients)."""
  ic = nets.ic
  out = generate(nets, params["generator"], x, mask)
  rec, metrics = hole_loss(x, out, mask, known_weight=ic.known_weight)
  if ic.adversarial_weight <= 0:
    return rec, dict(metrics, loss=rec)
  disc = lambda p, images: nets.discriminator.apply({"params": p}, images)
  filled = masks.composite(x, out, mask)
  frozen_d = jax.lax.stop_gradient(params["discriminator"])
  g_loss, g_metrics = nets.adversarial.g(disc(frozen_d, filled))
  d_loss, d_metrics = nets.adversarial.d(
      disc(params["discriminator"], x),
      disc(params["discriminator"], jax.lax.stop_gradient(filled)))
  g_objective = rec + ic.adversarial_weight * g_loss
  return g_objective + d_loss, {**metrics, **d_metrics, **g_metrics,
                                "loss": g_objective}


def running_mean(extra, x, axis_name):
  """The mean training image over every batch seen (the mean-fill
  baseline), with this batch added."""
  batch_mean, count = jnp.mean(x, axis=0), jnp.float32(x.shape[0])
  if axis_name is not None:
    batch_mean = jax.lax.pmean(batch_mean, axis_name)
    count = jax.lax.psum(count, axis_name)
  seen = extra["seen"] + count
  mean = extra["mean_image"] + (batch_mean - extra["mean_image"]) * (
      count / seen)
  return {"mean_image": mean, "seen": seen}


def train_step(state, batch, *, nets: Networks, tx, axis_name=None):
  """One step on `batch["image"]` with fresh masks per example."""
  x = batch["image"]
  mask = make_mask(nets, step_lib.step_key(state), x.shape,
                   offset=step_lib.example_offset(x.shape[0], axis_name))
  grads, metrics = jax.grad(functools.partial(loss_fn, nets=nets),
                            has_aux=True)(state.params, x, mask)
  return step_lib.apply_gradients(
      state, grads, metrics, tx, axis_name=axis_name,
      extra=running_mean(state.extra, x, axis_name))


@functools.partial(jax.jit, static_argnames="nets")
def eval_batch(params, mean_image, x, mask, *, nets: Networks):
  """Per example: hole and known-pixel MSE of the generator, of the mean
  image and of zeros; MSE of the composite; the composite images."""
  out = generate(nets, params["generator"], x, mask)
  filled = masks.composite(x, out, mask)
  return dict(
      hole=masks.masked_mse(x, out, mask),
      known=masks.masked_mse(x, out, 1.0 - mask),
      mean_fill=masks.masked_mse(x, jnp.broadcast_to(mean_image, x.shape),
                                 mask),
      zero_fill=masks.masked_mse(x, jnp.zeros_like(x), mask),
      mse=reconstruction.mse_per_pixel(x, filled), filled=filled)


def evaluate(state, data, key, *, full: bool, nets: Networks, config):
  """Hole MSE of the test images under the fixed masks of
  `inpaint.eval_seed`, beside the mean-image and zero fills."""
  del key
  images = data.split("test")["image"]
  mask = np.asarray(make_mask(nets, jax.random.key(nets.ic.eval_seed),
                              images.shape))
  out = map_batches(
      functools.partial(eval_batch, state.params, state.extra["mean_image"],
                        nets=nets),
      images, mask, batch_size=config.eval.batch_size)
  hole, mean_fill = float(np.mean(out["hole"])), float(np.mean(
      out["mean_fill"]))
  metrics = {"hole_mse": hole, "hole_mse_mean_fill": mean_fill,
             "hole_mse_zero_fill": float(np.mean(out["zero_fill"])),
             "hole_mse_ratio_mean_fill": hole / max(mean_fill, 1e-12),
             "known_mse": float(np.mean(out["known"])),
             "mse": float(np.mean(out["mse"]))}
  if not full:
    return metrics, {}
  n = latents.NUM_SHOWN
  shown, mask = images[:n], mask[:n]
  mean_image = np.asarray(state.extra["mean_image"])
  return metrics, {
      "masked": viz_inpainting.show_hole(shown, mask),
      "filled": out["filled"][:n], "filled_all": out["filled"],
      "shown": shown,
      "mean_filled": np.asarray(masks.composite(shown, mean_image, mask))}


def figures(outputs, outdir, *, mask_kind: str):
  path = os.path.join(outdir, "inpainting.png")
  return {"inpainting": viz_inpainting.inpainting_triplets(
      outputs["masked"], outputs["filled"], outputs["shown"], path,
      extra_rows=[("mean fill", outputs["mean_filled"])],
      title=f"Inpainting ({mask_kind} masks of the test set)")}


def report_notes(results, outputs):
  del outputs
  rows = [("context encoder", "test_hole_mse"),
          ("mean training image", "test_hole_mse_mean_fill"),
          ("zeros", "test_hole_mse_zero_fill")]
  lines = ["Squared error per hole pixel on the test set (fixed masks):", "",
           "| hole filled by | MSE |", "| --- | ---: |"]
  lines += [f"| {name} | {results[k]:.5f} |" for name, k in rows
            if k in results]
  return ["\n".join(lines)]


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """The inpainting method for the images of `spec`."""
  ic = config.inpaint
  nets = networks(config, spec.image_shape)
  tx = optimizer(config, train_discriminator=ic.adversarial_weight > 0)
  return Method(
      init=step_lib.jit_once(functools.partial(init, nets=nets, tx=tx)),
      phases=(Phase("train", config.train.num_steps, functools.partial(
          train_step, nets=nets, tx=tx)),),
      evaluate=functools.partial(evaluate, nets=nets, config=config),
      figures=functools.partial(figures, mask_kind=ic.mask),
      report_notes=report_notes,
      fingerprint={"method": "inpainting", "inpaint": ic.to_dict(),
                   "image_shape": list(spec.image_shape)})
