"""Semantic inpainting with a GAN prior, beside the context encoder.

Yeh et al. (2017), "Semantic Image Inpainting with Deep Generative Models",
arXiv:1607.07539. A GAN trained on whole images (`prior_inpaint.
gan_experiment`) is kept fixed; for each damaged test image, Adam fits the
generator's latent z to the known pixels by the contextual loss plus
`perceptual_weight` times the discriminator's perceptual loss
(`losses/inpainting.py`), from `restarts` random starts, keeping the start
with the lowest final loss; the hole is then filled from G(z*) and the
known pixels are kept as they are (`ops.masks.composite`).

A study of two sub-runs (`WORKDIR/runs/gan`, `WORKDIR/runs/context_encoder`,
each resumable): the GAN and the context encoder of
`prior_inpaint.context_experiment` (Pathak et al. 2016), whose fixed test
masks (`inpaint.mask`, `size`, `eval_seed`) both methods fill. `evaluate`
gives the squared error per hole pixel of the GAN prior, of the context
encoder and of the mean training image, on the study's test images, and
how often the in-project mnist5k classifier reads the true digit in each
one's filled images. `prior_inpaint.hole_size` sets the holes (large
central ones are where a prior matters: there the context encoder's
regression to the mean blurs).
"""

import functools
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from unsup_jax import configs
from unsup_jax.configs import files
from unsup_jax.errors import UserError
from unsup_jax.eval import feature_classifier
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import inpainting as losses
from unsup_jax.methods import registry
from unsup_jax.methods.adversarial import gan
from unsup_jax.ops import masks
from unsup_jax.training.contract import Study
from unsup_jax.viz import figures as viz
from unsup_jax.viz import inpainting as viz_inpainting

NUM_SHOWN = 10


def fit_latents(generator, critic, images, mask, key, *, noise_dim: int,
                steps: int, learning_rate: float, perceptual_weight: float,
                window: int, restarts: int):
  """The latent of each image that best explains its known pixels.

  Args:
    generator: `z [N, Z] -> [N, H, W, C]` (fixed).
    critic: `x [N, H, W, C] -> [N]` logits (fixed).
    images: `[B, H, W, C]`; only the known pixels are read.
    mask: `[B, H, W, 1]`, 1 = hole.
    key: the random starts.
    noise_dim, steps, learning_rate, perceptual_weight, window, restarts:
      as in `configs/gan_inpainting.py`.

  Returns:
    `{"filled" [B, H, W, C], "generated" [B, H, W, C], "loss" [B, steps+1]}`:
    the known pixels with the hole from G(z*), G(z*) itself, and the loss
    of the kept start at every step (the last after the final update).
  """
  b = images.shape[0]
  weights = losses.contextual_weights(mask, window)
  known = images * (1.0 - mask)        # nothing below reads the hole

  def loss_of(z):                                          # [R, B, Z] -> [R, B]
    x = generator(z.reshape(restarts * b, noise_dim))
    x = x.reshape((restarts, b) + x.shape[1:])
    context = jax.vmap(losses.contextual_loss, (0, None, None))(
        x, known, weights)
    perceptual = losses.perceptual_loss(
        critic(x.reshape((restarts * b,) + x.shape[2:]))).reshape(restarts, b)
    return context + perceptual_weight * perceptual

  tx = optax.adam(learning_rate)

  def update(carry, _):
    z, opt_state = carry
    value, grads = _per_image_and_grad(loss_of, z)
    updates, opt_state = tx.update(grads, opt_state, z)
    return (optax.apply_updates(z, updates), opt_state), value

  z0 = jax.random.normal(key, (restarts, b, noise_dim))
  (z, _), history = jax.lax.scan(update, (z0, tx.init(z0)), None,
                                 length=steps)
  final = loss_of(z)
  history = jnp.concatenate([history, final[None]])           # [S+1, R, B]
  best = jnp.argmin(final, axis=0)                             # [B]
  z_best = z[best, jnp.arange(b)]
  generated = generator(z_best)
  return {"filled": masks.composite(known, generated, mask),
          "generated": generated,
          "loss": history[:, best, jnp.arange(b)].T}


def _per_image_and_grad(loss_of, z):
  """Per-(start, image) losses and the gradient of their sum (each start's
  latent only meets its own loss)."""
  value, vjp = jax.vjp(loss_of, z)
  return value, vjp(jnp.ones_like(value))[0]


def _sub_config(config, name_or_path: str, field: str, method: str,
                steps: int) -> ml_collections.ConfigDict:
  sub = files.load_experiment(name_or_path,
                              config.prior_inpaint.model_variant or None,
                              field=field)
  if sub.method != method:
    raise UserError(f"config.{field} {name_or_path!r} is not a {method} "
                    f"experiment (its method is {sub.method!r})")
  files.on_study_data(sub, config)
  sub.data.binarize = "none"
  sub.seed = config.seed
  sub.train.update(eval_every=0, parallel=config.train.parallel)
  if steps:
    sub.train.num_steps = steps
  sub.train.checkpoint_every = min(sub.train.checkpoint_every,
                                   sub.train.num_steps)
  configs.validate(sub)
  return sub


def study_configs(config) -> dict:
  """The GAN's and the context encoder's sub-run configs (the latter's
  holes `prior_inpaint.hole_size` wide, where given)."""
  c = config.prior_inpaint
  context = _sub_config(config, c.context_experiment,
                        "prior_inpaint.context_experiment", "inpainting",
                        c.context_steps)
  if c.hole_size:
    context.inpaint.size = c.hole_size
    configs.validate(context)
  return {"gan": _sub_config(config, c.gan_experiment,
                             "prior_inpaint.gan_experiment", "gan",
                             c.gan_steps),
          "context_encoder": context}


def fill(state, images, mask, key, *, gan_config, c):
  """The GAN prior's fill of the holes of `images` (`fit_latents` in
  batches of `prior_inpaint.batch_size`)."""
  nets = gan.networks(gan_config, images.shape[1:])
  use_ema = c.use_ema and gan_config.gan.ema_decay > 0
  generator, critic = gan.trained_networks(state, nets=nets, ema=use_ema)
  fit = jax.jit(lambda k, x, m: fit_latents(
      generator, critic, x, m, k, noise_dim=gan_config.gan.noise_dim,
      steps=c.steps, learning_rate=c.learning_rate,
      perceptual_weight=c.perceptual_weight, window=c.window,
      restarts=c.restarts))
  return map_batches(fit, images, mask, key=key,
                     batch_size=min(c.batch_size, len(images)))


def evaluate(states, data, key, *, full: bool, runs, config, subs: dict,
             workdir: str | None = None):
  """Hole MSE of the GAN prior, the context encoder and the mean image on
  the context encoder's fixed test masks; with `full`, how often the
  in-project mnist5k classifier reads the true digit in each method's
  filled images (and in the originals: its own accuracy)."""
  ctx = runs["context_encoder"]
  ic = subs["context_encoder"].inpaint
  ctx_metrics, ctx_out = ctx.method.evaluate(
      states["context_encoder"], ctx.data.view, key, full=True)
  images = np.asarray(data.split("test")["image"], np.float32)
  mask = np.asarray(masks.make_mask(
      jax.random.key(ic.eval_seed), images.shape, kind=ic.mask,
      size=ic.size, count=ic.count, fraction=ic.fraction))
  out = fill(states["gan"], images, mask, key, gan_config=subs["gan"],
             c=config.prior_inpaint)
  hole = np.asarray(masks.masked_mse(images, out["filled"], mask))
  known = np.asarray(masks.masked_mse(images, out["generated"], 1 - mask))
  metrics = {
      "hole_mse_gan_prior": float(hole.mean()),
      "hole_mse_context_encoder": ctx_metrics["hole_mse"],
      "hole_mse_mean_fill": ctx_metrics["hole_mse_mean_fill"],
      "known_mse_gan_prior": float(known.mean()),
      "latent_loss_start": float(out["loss"][:, 0].mean()),
      "latent_loss_end": float(out["loss"][:, -1].mean())}
  if not full:
    return metrics, {}
  if "label" in data.split("test") and images.shape[1:] == (28, 28, 1):
    metrics.update(digit_accuracies(
        feature_classifier.cached(subs["gan"].gan.fid_classifier, workdir),
        np.asarray(data.split("test")["label"]), {
            "gan_prior": out["filled"],
            "context_encoder": ctx_out["filled_all"],
            "mean_fill": masks.composite(
                images, np.asarray(states["context_encoder"].extra[
                    "mean_image"]), mask),
            "original": images}))
  n = min(NUM_SHOWN, len(images))
  return metrics, {
      "masked": viz_inpainting.show_hole(images[:n], mask[:n]),
      "context": ctx_out["filled"][:n], "prior": out["filled"][:n],
      "shown": images[:n], "loss": out["loss"], "mask_kind": ic.mask}


def digit_accuracies(classifier, labels, filled: dict) -> dict:
  """`accuracy_NAME`: the share of `filled[NAME]` `[N, 28, 28, 1]` the
  classifier reads as their `labels`."""
  return {f"accuracy_{name}": float(np.mean(
      classifier.predict(np.asarray(x, np.float32)) == labels))
          for name, x in filled.items()}


def figures(outputs, outdir):
  path = lambda name: os.path.join(outdir, f"{name}.png")
  return {
      "inpainting": viz.labelled_rows(
          [("masked", outputs["masked"]),
           ("context encoder", outputs["context"]),
           ("GAN prior", outputs["prior"]),
           ("original", outputs["shown"])], path("inpainting"),
          title=f"Inpainting the {outputs['mask_kind']} holes of test images"),
      "latent_loss": viz_inpainting.latent_loss(
          outputs["loss"], path("latent_loss"))}


def report_notes(results, outputs):
  del outputs
  rows = [("GAN prior (Yeh et al. 2017)", "test_hole_mse_gan_prior"),
          ("context encoder (Pathak et al. 2016)",
           "test_hole_mse_context_encoder"),
          ("mean training image", "test_hole_mse_mean_fill")]
  lines = ["Squared error per hole pixel on the test images (the context "
           "encoder's fixed masks):", "", "| hole filled by | MSE |",
           "| --- | ---: |"]
  lines += [f"| {name} | {results[k]:.5f} |" for name, k in rows]
  if "test_accuracy_gan_prior" in results:
    lines += ["", "The mnist5k classifier's accuracy on the filled test "
              "images:", "", "| filled by | accuracy |", "| --- | ---: |"]
    lines += [f"| {name} | {results[k.replace('hole_mse', 'accuracy')]:.1%} |"
              for name, k in rows]
    lines.append(f"| (the original images) | "
                 f"{results['test_accuracy_original']:.1%} |")
  return ["\n".join(lines)]


def build(config: ml_collections.ConfigDict, spec,
          workdir: str | None = None) -> Study:
  """The GAN-prior inpainting study for the images of `spec`."""
  c = config.prior_inpaint
  subs = study_configs(config)
  gan.networks(subs["gan"], spec.image_shape)  # a UserError for bad shapes
  return Study(
      runs=functools.partial(registry.sub_runs, configs_by_name=subs,
                           workdir=workdir),
      evaluate=functools.partial(evaluate, config=config, subs=subs,
                                 workdir=workdir),
      figures=figures, report_notes=report_notes,
      fingerprint={"method": "gan_inpainting",
                   "image_shape": list(spec.image_shape),
                   "gan": c.gan_experiment, "context": c.context_experiment})
