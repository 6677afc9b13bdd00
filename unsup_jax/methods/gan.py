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
  (Heusel et al. 2017, arXiv:1706.08500); `beta1`: Adam's first moment
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

Config: `configs/gan.py`. Evaluation (`methods/gan_eval.py`): FID and KID in the feature space of a
small classifier trained in-project on mnist5k (`eval/feature_classifier.py`,
cached in the workdir), with the FID of the real training split against the
real test split as the floor, and the class histogram of generated samples
as a mode-collapse check.
"""

import functools
import types

import jax
import jax.numpy as jnp
import ml_collections
import optax

from unsup_jax.errors import UserError
from unsup_jax.losses import adversarial, gradient_penalty
from unsup_jax.methods import gan_eval
from unsup_jax.models.gan import Discriminator, Generator
from unsup_jax.ops import augment, averaging, distributions
from unsup_jax.training import step as step_lib
from unsup_jax.training.contract import Method, Phase
from unsup_jax.training.state import TrainState

# fold_in index of the augmentation draws (the noise uses 0 .. batch - 1).
AUGMENT_STREAM = 2**31 - 1


def steps(config: ml_collections.ConfigDict,
          image_shape: tuple[int, int, int]) -> types.SimpleNamespace:
  """The networks' pure functions: `init`, `train_step`, its two halves
  `d_update` and `g_update`, `update_ema`, `noise`,
  `sample(params, extra, z)` / `sample_ema(params, extra, z)` from the raw
  and the averaged generator, and `trained_networks(state)`."""
  g = config.gan
  scale = 2 ** g.num_scales
  if image_shape[0] % scale or image_shape[1] % scale:
    raise UserError(f"images of {image_shape[0]}x{image_shape[1]} are not "
                    f"divisible by 2^{g.num_scales}; change config.gan."
                    f"num_scales")
  generator = Generator(image_shape, g.g_channels, g.num_scales)
  discriminator = Discriminator(g.d_channels, g.num_scales, g.spectral_norm)
  losses = adversarial.get(g.loss, real_label=g.real_label)
  tx = {"generator": optax.adam(g.g_learning_rate, g.beta1, g.beta2),
        "discriminator": optax.adam(g.d_learning_rate, g.beta1, g.beta2)}

  def noise(key, batch_size, axis_name=None):
    """`[B, Z]` noise keyed by global example index (pmap == jit)."""
    keys = distributions.per_example_keys(
        key, batch_size, step_lib.example_offset(batch_size, axis_name))
    return jax.vmap(lambda k: jax.random.normal(k, (g.noise_dim,)))(keys)

  def generate(params, batch_stats, z, *, train, axis_name=None):
    """Images (and, in training mode, the updated batch statistics)."""
    variables = {"params": params, "batch_stats": batch_stats}
    if not train:
      return generator.apply(variables, z, train=False)
    return generator.apply(variables, z, train=True, axis_name=axis_name,
                           mutable=["batch_stats"])

  def critic(d_params, spectral):
    """The discriminator with its current power-iteration vectors."""
    return lambda x: discriminator.apply(
        {"params": d_params, "spectral": spectral}, x)

  def critic_updating(d_params, spectral, x):
    """Logits on `x` and the advanced power-iteration vectors."""
    logits, new = discriminator.apply(
        {"params": d_params, "spectral": spectral}, x, update=True,
        mutable=["spectral"])
    return logits, new.get("spectral", {})

  @step_lib.jit_once
  def init(key, batch):
    g_key, d_key, run_key = jax.random.split(key, 3)
    g_vars = generator.init(g_key, jnp.zeros((2, g.noise_dim)), train=False)
    d_vars = discriminator.init(d_key, batch["image"][:1])
    params = {"generator": g_vars["params"], "discriminator": d_vars["params"]}
    opt_state = {k: tx[k].init(params[k]) for k in params}
    return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                      opt_state=opt_state, key=run_key,
                      extra={"batch_stats": g_vars["batch_stats"],
                             "spectral": d_vars.get("spectral", {}),
                             "ema": {"params": g_vars["params"],
                                     "batch_stats": g_vars["batch_stats"]},
                             "snapshots": gan_eval.empty_snapshots(
                                 image_shape)})

  def seen(key, images, axis_name, which):
    """`images` as D sees them: through `gan.augment` (`which` tells the
    real batch, 0, from the generated one, 1)."""
    if not g.augment:
      return images
    key = jax.random.fold_in(jax.random.fold_in(key, AUGMENT_STREAM), which)
    return augment.diff_augment(key, images, g.augment,
                                step_lib.example_offset(images.shape[0],
                                                        axis_name))

  def lazy_r1(step, f, x):
    """The R1 penalty of `f` at `x` on steps divisible by `r1_every`, else
    0 (the branch not taken is not computed). Weighted `r1_every` times, it
    regularises as often-applied R1 does at a fraction of the cost."""
    if g.r1_every == 1:
      return gradient_penalty.r1_penalty(f, x)[0]
    return jax.lax.cond(step % g.r1_every == 0,
                        lambda: gradient_penalty.r1_penalty(f, x)[0],
                        lambda: jnp.zeros((), x.dtype))

  def d_update(state, x, key, *, axis_name=None):
    """One discriminator update on `x` and fresh fakes; G is untouched.
    The power-iteration vectors advance once (on the same forward pass)."""
    fake_key, gp_key = jax.random.split(key)
    fake, _ = generate(state.params["generator"], state.extra["batch_stats"],
                       noise(fake_key, x.shape[0], axis_name), train=True,
                       axis_name=axis_name)
    fake = seen(key, jax.lax.stop_gradient(fake), axis_name, 1)
    x = seen(key, x, axis_name, 0)

    def loss_fn(d_params):
      logits, spectral = critic_updating(
          d_params, state.extra["spectral"], jnp.concatenate([x, fake]))
      loss, metrics = losses.d(logits[:x.shape[0]], logits[x.shape[0]:])
      f = critic(d_params, spectral)
      if g.gradient_penalty > 0:
        gp, m = gradient_penalty.gradient_penalty(
            f, x, fake, gp_key,
            example_offset=step_lib.example_offset(x.shape[0], axis_name))
        loss, metrics = loss + g.gradient_penalty * gp, dict(metrics, **m)
      if g.r1_gamma > 0:
        r1 = lazy_r1(state.step, f, x)
        loss = loss + 0.5 * g.r1_gamma * g.r1_every * r1
        metrics = dict(metrics, d_r1=g.r1_every * r1)
      return loss, (dict(metrics, loss=loss), spectral)

    (_, (metrics, spectral)), grads = jax.value_and_grad(
        loss_fn, has_aux=True)(state.params["discriminator"])
    return step_lib.apply_gradients(state, grads, metrics,
                                    tx["discriminator"], axis_name=axis_name,
                                    part="discriminator", advance=False,
                                    extra=dict(state.extra,
                                               spectral=spectral))

  def g_update(state, key, batch_size, *, axis_name=None):
    """One generator update against the current D; D is untouched."""
    z = noise(key, batch_size, axis_name)

    def loss_fn(g_params):
      fake, new_vars = generate(g_params, state.extra["batch_stats"], z,
                                train=True, axis_name=axis_name)
      loss, metrics = losses.g(critic(state.params["discriminator"],
                                      state.extra["spectral"])(
                                          seen(key, fake, axis_name, 1)))
      return loss, (dict(metrics, loss=loss), new_vars["batch_stats"])

    (_, (metrics, stats)), grads = jax.value_and_grad(
        loss_fn, has_aux=True)(state.params["generator"])
    return step_lib.apply_gradients(state, grads, metrics, tx["generator"],
                                    axis_name=axis_name, part="generator",
                                    extra=dict(state.extra, batch_stats=stats))

  def update_ema(state):
    """The averaged generator one step closer to the raw one (a copy of it
    before `ema_start`)."""
    decay = jnp.where(state.step > g.ema_start, g.ema_decay, 0.0)
    raw = {"params": state.params["generator"],
           "batch_stats": state.extra["batch_stats"]}
    return state.replace(extra=dict(
        state.extra, ema=averaging.ema(state.extra["ema"], raw, decay)))

  def train_step(state, batch, *, axis_name=None):
    x = batch["image"]
    key = step_lib.step_key(state)
    d_keys = jax.random.split(jax.random.fold_in(key, 0), g.n_critic)

    def critic_iteration(i, carry):
      s, _ = carry
      return d_update(s, x, d_keys[i], axis_name=axis_name)

    first = d_update(state, x, d_keys[0], axis_name=axis_name)
    state, d_metrics = jax.lax.fori_loop(1, g.n_critic, critic_iteration,
                                         first)
    state, g_metrics = g_update(state, jax.random.fold_in(key, 1),
                                x.shape[0], axis_name=axis_name)
    state = update_ema(state)
    metrics = {k: v for k, v in d_metrics.items() if k != "loss"}
    metrics.update(g_loss=g_metrics["g_loss"],
                   nonfinite_total=g_metrics["nonfinite_total"],
                   loss=d_metrics["d_loss"])
    return state, metrics

  sample = jax.jit(lambda params, extra, z: generate(
      params["generator"], extra["batch_stats"], z, train=False))
  sample_ema = jax.jit(lambda params, extra, z: generate(
      extra["ema"]["params"], extra["ema"]["batch_stats"], z, train=False))
  def trained_networks(state, *, ema: bool = True):
    """Pure `(g(z) -> images, d(images) -> logits)` of a trained state, the
    generator in evaluation mode (the averaged one if `ema`): for methods
    that use a trained GAN, such as GAN-prior inpainting."""
    g_vars = (state.extra["ema"] if ema else
              {"params": state.params["generator"],
               "batch_stats": state.extra["batch_stats"]})
    return (lambda z: generate(g_vars["params"], g_vars["batch_stats"], z,
                               train=False),
            critic(state.params["discriminator"], state.extra["spectral"]))

  return types.SimpleNamespace(init=init, train_step=train_step,
                               d_update=d_update, g_update=g_update,
                               update_ema=update_ema, noise=noise,
                               sample=sample, sample_ema=sample_ema,
                               trained_networks=trained_networks)


def build(config: ml_collections.ConfigDict, spec,
          workdir: str | None = None) -> Method:
  """The GAN method for the images of `spec`."""
  g = config.gan
  image_shape = spec.image_shape
  fns = steps(config, image_shape)
  use_ema = g.ema_decay > 0
  main = fns.sample_ema if use_ema else fns.sample
  evaluator = gan_eval.Evaluator(config, image_shape, workdir, main,
                                 fns.sample if use_ema else None)
  fingerprint = dict(method="gan", image_shape=list(image_shape),
                     gan={f: g[f] for f in ("noise_dim", "g_channels",
                                            "d_channels", "num_scales",
                                            "spectral_norm")})
  snapshot = functools.partial(gan_eval.snapshot, sample=main,
                               noise_dim=g.noise_dim)
  every = config.train.eval_every
  return Method(
      init=fns.init,
      phases=(Phase("train", config.train.num_steps, fns.train_step,
                    every=every, hook=snapshot if every else None),),
      evaluate=evaluator.evaluate, figures=evaluator.figures,
      fingerprint=fingerprint, report_notes=evaluator.report_notes)
