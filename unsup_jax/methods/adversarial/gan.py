"""Generative adversarial networks: DCGAN with a choice of losses.

One compiled step updates the discriminator `gan.n_critic` times, each on
fresh noise (the same real batch), then the generator once, each network
with its own optimiser (Goodfellow et al. 2014, arXiv:1406.2661; Radford et
al. 2016, arXiv:1511.06434). `gan.loss` picks the objective from
`losses/adversarial.py` (non-saturating, minimax, hinge, least squares,
Wasserstein); `gan.gradient_penalty` adds WGAN-GP's penalty (Gulrajani et
al. 2017, arXiv:1704.00028) and `gan.r1_gamma` the R1 penalty (Mescheder et
al. 2018, arXiv:1801.04406) to the discriminator's loss.

Stabilisers, each a field of the `gan` config section:

* `ema_decay`: an exponential moving average of the generator's weights
  (and batch-norm averages), `ops.averaging.ema`, updated after every
  generator step from step `ema_start` on (a copy of G before). Samples and
  FID/KID come from the averaged generator, with the raw one's reported
  beside them (Karras et al. 2018, arXiv:1710.10196; Yazici et al. 2019,
  arXiv:1806.04498). 0 keeps the average equal to G.
* `spectral_norm`: the discriminator's kernels divided by their largest
  singular value (`nn/spectral_norm.py`, Miyato et al. 2018,
  arXiv:1802.05957); the power-iteration vectors are `extra["spectral"]`,
  advanced once per discriminator update.
* `g_learning_rate` / `d_learning_rate`: the two time-scale update rule
  (Heusel et al. 2017, arXiv:1706.08500); `decay_from` < 1 lets both fall
  linearly to 0 over the last part of the run; `beta1`: Adam's first moment
  (0.5 in DCGAN, 0 in WGAN-GP and the SN-GAN setups).
* `real_label` < 1: one-sided label smoothing (Salimans et al. 2016,
  arXiv:1606.03498), for the cross-entropy losses.
* `augment`: DiffAugment (Zhao et al. 2020, arXiv:2006.10738,
  `ops/augment.py`): D sees real and generated images through the same
  random differentiable transformations (e.g. "translation,cutout"), in
  its update and in G's; the penalties are taken at the augmented images.
  For small training sets, where D otherwise memorises the real images.
* `r1_gamma`, `gradient_penalty`: the penalties above; `r1_every` = k
  computes R1 on every k-th step only, weighted k times ("lazy
  regularisation", Karras et al. 2020, arXiv:1912.04958). The logged
  `d_r1` is then k times the penalty on those steps and 0 between, so its
  mean over a logging window estimates the penalty.

Config: `configs/gan.py`. Evaluation (`gan_eval.py`): FID and KID in the
feature space of a small classifier trained in-project on mnist5k
(`eval/feature_classifier.py`, cached in the workdir), with the FID of the
real training split against the real test split as the floor, and the
class histogram of generated samples as a mode-collapse check.
"""

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import ml_collections
import optax

from unsup_jax.errors import UserError
from unsup_jax.losses import adversarial, gradient_penalty
from unsup_jax.methods.adversarial import gan_eval
from unsup_jax.models.gan import Discriminator, Generator
from unsup_jax.ops import augment, averaging, distributions
from unsup_jax.training import step as step_lib
from unsup_jax.training.contract import Method, Phase
from unsup_jax.training.state import TrainState

# fold_in index of the augmentation draws (the noise uses 0 .. batch - 1).
AUGMENT_STREAM = 2**31 - 1


class Networks(NamedTuple):
  """G, D, the loss pair of `gan.loss` and the `gan` section (frozen)."""
  generator: Generator
  discriminator: Discriminator
  losses: adversarial.AdversarialLoss
  g: Any


def networks(config: ml_collections.ConfigDict, image_shape) -> Networks:
  g = config.gan
  scale = 2 ** g.num_scales
  if image_shape[0] % scale or image_shape[1] % scale:
    raise UserError(f"images of {image_shape[0]}x{image_shape[1]} are not "
                    f"divisible by 2^{g.num_scales}; change config.gan."
                    f"num_scales")
  return Networks(Generator(tuple(image_shape), g.g_channels, g.num_scales),
                  Discriminator(g.d_channels, g.num_scales, g.spectral_norm),
                  adversarial.get(g.loss, real_label=g.real_label),
                  ml_collections.FrozenConfigDict(g))


def learning_rate(peak: float, updates: int, decay_from: float):
  """`peak` for the first `decay_from` of `updates`, then falling linearly
  to 0 at the last update (a constant `peak` when `decay_from` = 1)."""
  start = int(round(decay_from * updates))
  if start >= updates:
    return peak
  return optax.join_schedules(
      [optax.constant_schedule(peak),
       optax.linear_schedule(peak, 0.0, updates - start)], [start])


def optimizers(config: ml_collections.ConfigDict) -> dict:
  """Adam for each network, at its own learning rate (two time scales),
  with the linear decay of `gan.decay_from` (D counts `n_critic` updates
  per step)."""
  g, steps = config.gan, config.train.num_steps
  return {"generator": optax.adam(
              learning_rate(g.g_learning_rate, steps, g.decay_from),
              g.beta1, g.beta2),
          "discriminator": optax.adam(
              learning_rate(g.d_learning_rate, steps * g.n_critic,
                            g.decay_from), g.beta1, g.beta2)}


def noise(key, batch_size: int, noise_dim: int, axis_name=None):
  """`[B, Z]` noise keyed by global example index (pmap == jit)."""
  keys = distributions.per_example_keys(
      key, batch_size, step_lib.example_offset(batch_size, axis_name))
  return jax.vmap(lambda k: jax.random.normal(k, (noise_dim,)))(keys)


def generate(nets: Networks, params, batch_stats, z, *, train: bool,
             axis_name=None):
  """Images (and, in training mode, the updated batch statistics)."""
  variables = {"params": params, "batch_stats": batch_stats}
  if not train:
    return nets.generator.apply(variables, z, train=False)
  return nets.generator.apply(variables, z, train=True, axis_name=axis_name,
                              mutable=["batch_stats"])


def critic(nets: Networks, d_params, spectral):
  """The discriminator with its current power-iteration vectors."""
  return lambda x: nets.discriminator.apply(
      {"params": d_params, "spectral": spectral}, x)


def critic_updating(nets: Networks, d_params, spectral, x):
  """Logits on `x` and the advanced power-iteration vectors."""
  logits, new = nets.discriminator.apply(
      {"params": d_params, "spectral": spectral}, x, update=True,
      mutable=["spectral"])
  return logits, new.get("spectral", {})


def init(key, batch, *, nets: Networks, tx: dict) -> TrainState:
  g_key, d_key, run_key = jax.random.split(key, 3)
  g_vars = nets.generator.init(g_key, jnp.zeros((2, nets.g.noise_dim)),
                               train=False)
  d_vars = nets.discriminator.init(d_key, batch["image"][:1])
  params = {"generator": g_vars["params"], "discriminator": d_vars["params"]}
  opt_state = {k: tx[k].init(params[k]) for k in params}
  return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                    opt_state=opt_state, key=run_key,
                    extra={"batch_stats": g_vars["batch_stats"],
                           "spectral": d_vars.get("spectral", {}),
                           "ema": {"params": g_vars["params"],
                                   "batch_stats": g_vars["batch_stats"]},
                           "snapshots": gan_eval.empty_snapshots(
                               batch["image"].shape[1:])})


def seen(g, key, images, axis_name, which: int):
  """`images` as D sees them: through `gan.augment` (`which` tells the
  real batch, 0, from the generated one, 1)."""
  if not g.augment:
    return images
  key = jax.random.fold_in(jax.random.fold_in(key, AUGMENT_STREAM), which)
  return augment.diff_augment(key, images, g.augment,
                              step_lib.example_offset(images.shape[0],
                                                      axis_name))


def lazy_r1(g, step, f, x):
  """The R1 penalty of `f` at `x` on steps divisible by `r1_every`, else
  0 (the branch not taken is not computed). Weighted `r1_every` times, it
  regularises as often-applied R1 does at a fraction of the cost."""
  if g.r1_every == 1:
    return gradient_penalty.r1_penalty(f, x)[0]
  return jax.lax.cond(step % g.r1_every == 0,
                      lambda: gradient_penalty.r1_penalty(f, x)[0],
                      lambda: jnp.zeros((), x.dtype))


def d_loss(d_params, state, x, fake, gp_key, *, nets: Networks,
           axis_name=None):
  """D's loss on real `x` and generated `fake` (both as D sees them) with
  the gradient penalties, its metrics and the advanced power iterations."""
  g = nets.g
  logits, spectral = critic_updating(nets, d_params, state.extra["spectral"],
                                     jnp.concatenate([x, fake]))
  loss, metrics = nets.losses.d(logits[:x.shape[0]], logits[x.shape[0]:])
  f = critic(nets, d_params, spectral)
  if g.gradient_penalty > 0:
    gp, m = gradient_penalty.gradient_penalty(
        f, x, fake, gp_key,
        example_offset=step_lib.example_offset(x.shape[0], axis_name))
    loss, metrics = loss + g.gradient_penalty * gp, dict(metrics, **m)
  if g.r1_gamma > 0:
    r1 = lazy_r1(g, state.step, f, x)
    loss = loss + 0.5 * g.r1_gamma * g.r1_every * r1
    metrics = dict(metrics, d_r1=g.r1_every * r1)
  return loss, (dict(metrics, loss=loss), spectral)


def d_update(state, x, key, *, nets: Networks, tx: dict, axis_name=None):
  """One discriminator update on `x` and fresh fakes; G is untouched.
  The power-iteration vectors advance once (on the same forward pass)."""
  fake_key, gp_key = jax.random.split(key)
  fake, _ = generate(nets, state.params["generator"],
                     state.extra["batch_stats"],
                     noise(fake_key, x.shape[0], nets.g.noise_dim, axis_name),
                     train=True, axis_name=axis_name)
  fake = seen(nets.g, key, jax.lax.stop_gradient(fake), axis_name, 1)
  x = seen(nets.g, key, x, axis_name, 0)
  (_, (metrics, spectral)), grads = jax.value_and_grad(d_loss, has_aux=True)(
      state.params["discriminator"], state, x, fake, gp_key, nets=nets,
      axis_name=axis_name)
  return step_lib.apply_gradients(state, grads, metrics,
                                  tx["discriminator"], axis_name=axis_name,
                                  part="discriminator", advance=False,
                                  extra=dict(state.extra, spectral=spectral))


def g_update(state, key, batch_size: int, *, nets: Networks, tx: dict,
             axis_name=None):
  """One generator update against the current D; D is untouched."""
  z = noise(key, batch_size, nets.g.noise_dim, axis_name)

  def loss_fn(g_params):
    fake, new_vars = generate(nets, g_params, state.extra["batch_stats"], z,
                              train=True, axis_name=axis_name)
    loss, metrics = nets.losses.g(critic(
        nets, state.params["discriminator"], state.extra["spectral"])(
            seen(nets.g, key, fake, axis_name, 1)))
    return loss, (dict(metrics, loss=loss), new_vars["batch_stats"])

  (_, (metrics, stats)), grads = jax.value_and_grad(
      loss_fn, has_aux=True)(state.params["generator"])
  return step_lib.apply_gradients(state, grads, metrics, tx["generator"],
                                  axis_name=axis_name, part="generator",
                                  extra=dict(state.extra, batch_stats=stats))


def update_ema(state, *, g):
  """The averaged generator one step closer to the raw one (a copy of it
  before `ema_start`)."""
  decay = jnp.where(state.step > g.ema_start, g.ema_decay, 0.0)
  raw = {"params": state.params["generator"],
         "batch_stats": state.extra["batch_stats"]}
  return state.replace(extra=dict(
      state.extra, ema=averaging.ema(state.extra["ema"], raw, decay)))


def train_step(state, batch, *, nets: Networks, tx: dict, axis_name=None):
  """`gan.n_critic` D updates (fresh noise each, the same real batch), one
  G update, the moving average of G."""
  x = batch["image"]
  key = step_lib.step_key(state)
  d_keys = jax.random.split(jax.random.fold_in(key, 0), nets.g.n_critic)
  update = functools.partial(d_update, nets=nets, tx=tx, axis_name=axis_name)
  first = update(state, x, d_keys[0])
  state, d_metrics = jax.lax.fori_loop(
      1, nets.g.n_critic, lambda i, carry: update(carry[0], x, d_keys[i]),
      first)
  state, g_metrics = g_update(state, jax.random.fold_in(key, 1), x.shape[0],
                              nets=nets, tx=tx, axis_name=axis_name)
  state = update_ema(state, g=nets.g)
  metrics = {k: v for k, v in d_metrics.items() if k != "loss"}
  metrics.update(g_loss=g_metrics["g_loss"],
                 nonfinite_total=g_metrics["nonfinite_total"],
                 loss=d_metrics["d_loss"])
  return state, metrics


@functools.partial(jax.jit, static_argnames="nets")
def sample(params, extra, z, *, nets: Networks):
  """Images of the raw generator (evaluation mode) from noise `z`."""
  return generate(nets, params["generator"], extra["batch_stats"], z,
                  train=False)


@functools.partial(jax.jit, static_argnames="nets")
def sample_ema(params, extra, z, *, nets: Networks):
  """Images of the averaged generator from noise `z`."""
  del params
  return generate(nets, extra["ema"]["params"], extra["ema"]["batch_stats"],
                  z, train=False)


def trained_networks(state, *, nets: Networks, ema: bool = True):
  """Pure `(g(z) -> images, d(images) -> logits)` of a trained state, the
  generator in evaluation mode (the averaged one if `ema`): for methods
  that use a trained GAN, such as GAN-prior inpainting."""
  g_vars = (state.extra["ema"] if ema else
            {"params": state.params["generator"],
             "batch_stats": state.extra["batch_stats"]})
  return (lambda z: generate(nets, g_vars["params"], g_vars["batch_stats"],
                             z, train=False),
          critic(nets, state.params["discriminator"],
                 state.extra["spectral"]))


def build(config: ml_collections.ConfigDict, spec,
          workdir: str | None = None) -> Method:
  """The GAN method for the images of `spec`."""
  g = config.gan
  nets, tx = networks(config, spec.image_shape), optimizers(config)
  use_ema = g.ema_decay > 0
  main = functools.partial(sample_ema if use_ema else sample, nets=nets)
  every = config.train.eval_every
  return Method(
      init=step_lib.jit_once(functools.partial(init, nets=nets, tx=tx)),
      phases=(Phase("train", config.train.num_steps, functools.partial(
          train_step, nets=nets, tx=tx), every=every, hook=functools.partial(
              gan_eval.snapshot, sample=main, noise_dim=g.noise_dim)
                    if every else None),),
      evaluate=functools.partial(
          gan_eval.evaluate, sample=main, config=config, workdir=workdir,
          sample_raw=functools.partial(sample, nets=nets) if use_ema
          else None),
      figures=gan_eval.figures,
      report_notes=functools.partial(gan_eval.report_notes,
                                     fid_samples=g.fid_samples),
      fingerprint=dict(method="gan", image_shape=list(spec.image_shape),
                       gan={f: g[f] for f in ("noise_dim", "g_channels",
                                              "d_channels", "num_scales",
                                              "spectral_norm")}))
