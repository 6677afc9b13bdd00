"""Adversarial autoencoders, denoising or not.

Makhzani et al. (2016), "Adversarial Autoencoders", arXiv:1511.05644: an
autoencoder whose codes are pushed towards a prior p(z) = N(0, I) by a
discriminator on codes instead of a KL term, so that decoding prior samples
gives images. With `data.corruption` set, the encoder reads corrupted
images and the decoder reconstructs the clean ones: the denoising
adversarial autoencoder of Creswell & Bharath (2017), "Denoising
Adversarial Autoencoders", arXiv:1703.01220.

One compiled step has the paper's two phases, each with its own optimiser
that moves only its own networks (the others get `optax.set_to_zero`):

1. reconstruction: encoder and decoder on the reconstruction loss of
   `autoencoder.likelihood` (`losses/reconstruction.py`);
2. regularisation: the discriminator on prior samples (real) against the
   codes of the batch (fake), then the encoder alone on the non-saturating
   generator loss against it (`losses/adversarial.py`).

Evaluation is the autoencoder's (reconstruction and denoising MSE, codes,
probes), plus samples decoded from the prior and the discriminator's view
of the test codes. Config: `configs/aae.py`.
"""

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from unsup_jax.eval import probes
from unsup_jax.losses import adversarial, reconstruction
from unsup_jax.methods.compression import autoencoder
from unsup_jax.models import autoencoder as ae_models
from unsup_jax.models.networks import CodeDiscriminator
from unsup_jax.ops import distributions
from unsup_jax.training import optim, step as step_lib
from unsup_jax.training.contract import Method, Phase, model_fingerprint
from unsup_jax.training.state import TrainState

NETWORKS = ("encoder", "decoder", "discriminator")
# Which networks each optimiser moves.
MOVES = {"reconstruction": ("encoder", "decoder"),
         "discriminator": ("discriminator",), "encoder": ("encoder",)}
NUM_SAMPLES = 64
SAMPLE_SEED = 30
# The discriminator's and the encoder's losses: the GAN's non-saturating.
LOSSES = adversarial.get("non_saturating")


class Networks(NamedTuple):
  """The autoencoder (`params["encoder"]`, `params["decoder"]`), the
  discriminator on codes and the `autoencoder` section (frozen)."""
  autoencoder: Any
  discriminator: CodeDiscriminator
  a: Any


def networks(config: ml_collections.ConfigDict, image_shape) -> Networks:
  return Networks(ae_models.from_config(config.autoencoder, image_shape),
                  CodeDiscriminator(tuple(config.aae.disc_hidden)),
                  ml_collections.FrozenConfigDict(config.autoencoder))


def _only(moved, tx):
  """`tx` on the networks in `moved`, zero updates on the others."""
  return optax.multi_transform(
      {"on": tx, "off": optax.set_to_zero()},
      {n: ("on" if n in moved else "off") for n in NETWORKS})


def optimizers(config: ml_collections.ConfigDict) -> dict:
  """One optimiser per phase of the step, each moving its own networks."""
  g = config.aae
  return {"reconstruction": _only(MOVES["reconstruction"],
                                  optim.build(config)),
          "discriminator": _only(MOVES["discriminator"], optax.adam(
              g.d_learning_rate, g.beta1)),
          "encoder": _only(MOVES["encoder"], optax.adam(g.g_learning_rate,
                                                        g.beta1))}


def encode(nets: Networks, params, x):
  model = nets.autoencoder
  return model.apply({"params": {"encoder": params["encoder"],
                                 "decoder": params["decoder"]}}, x,
                     method=type(model).encode)


def decode(nets: Networks, params, z):
  model = nets.autoencoder
  return model.apply({"params": {"encoder": params["encoder"],
                                 "decoder": params["decoder"]}}, z,
                     method=type(model).decode)


def critic(nets: Networks, params, z):
  return nets.discriminator.apply({"params": params["discriminator"]}, z)


def init(key, batch, *, nets: Networks, tx: dict) -> TrainState:
  ae_key, d_key, run_key = jax.random.split(key, 3)
  params = dict(nets.autoencoder.init(ae_key, batch["image"][:1])["params"])
  params["discriminator"] = nets.discriminator.init(
      d_key, jnp.zeros((1, nets.a.latent_dim)))["params"]
  return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                    opt_state={k: t.init(params) for k, t in tx.items()},
                    key=run_key)


def update(state, which: str, loss_fn, *, tx: dict, axis_name, advance):
  """One update of optimiser `which` on the gradient of `loss_fn`."""
  (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params)
  sub = state.replace(opt_state=state.opt_state[which])
  sub, metrics = step_lib.apply_gradients(sub, grads, metrics, tx[which],
                                          axis_name=axis_name,
                                          advance=advance)
  return sub.replace(opt_state={**state.opt_state,
                                which: sub.opt_state}), metrics


def reconstruct_update(state, batch, *, nets: Networks, tx: dict,
                       axis_name=None):
  """Encoder and decoder on the reconstruction of the clean image."""
  x, x_in = batch["image"], autoencoder.inputs(batch)

  def loss_fn(params):
    loss, metrics = reconstruction.reconstruction_loss(
        x, decode(nets, params, encode(nets, params, x_in)),
        kind=nets.a.likelihood)
    return loss, dict(metrics, loss=loss)
  return update(state, "reconstruction", loss_fn, tx=tx, axis_name=axis_name,
                advance=False)


def regularise_update(state, batch, key, *, nets: Networks, tx: dict,
                      axis_name=None):
  """The discriminator on prior samples against the batch's codes, then
  the encoder alone against it."""
  x_in = autoencoder.inputs(batch)
  b = x_in.shape[0]
  keys = distributions.per_example_keys(
      key, b, step_lib.example_offset(b, axis_name))
  prior = jax.vmap(lambda k: jax.random.normal(k, (nets.a.latent_dim,)))(keys)
  codes = jax.lax.stop_gradient(encode(nets, state.params, x_in))

  def d_loss(params):
    loss, metrics = LOSSES.d(critic(nets, params, prior),
                             critic(nets, params, codes))
    return loss, dict(metrics, loss=loss)
  state, d_metrics = update(state, "discriminator", d_loss, tx=tx,
                            axis_name=axis_name, advance=False)

  def g_loss(params):
    loss, metrics = LOSSES.g(critic(nets, state.params,
                                    encode(nets, params, x_in)))
    return loss, dict(metrics, loss=loss)
  state, g_metrics = update(state, "encoder", g_loss, tx=tx,
                            axis_name=axis_name, advance=True)
  return state, {"d_loss": d_metrics["d_loss"],
                 "d_real_prob": d_metrics["d_real_prob"],
                 "d_fake_prob": d_metrics["d_fake_prob"],
                 "g_loss": g_metrics["g_loss"],
                 "nonfinite_total": g_metrics["nonfinite_total"]}


def train_step(state, batch, *, nets: Networks, tx: dict, axis_name=None):
  """The reconstruction phase, then the regularisation phase."""
  state, rec = reconstruct_update(state, batch, nets=nets, tx=tx,
                                  axis_name=axis_name)
  state, reg = regularise_update(state, batch, step_lib.step_key(state),
                                 nets=nets, tx=tx, axis_name=axis_name)
  return state, dict(reg, **{k: v for k, v in rec.items()
                             if k != "nonfinite_total"})


@functools.partial(jax.jit, static_argnames="nets")
def prior_images(params, z, *, nets: Networks):
  """The decoder's images of codes `z` (pixels, not logits)."""
  return autoencoder.to_image(nets.a)(decode(nets, params, z))


@functools.partial(jax.jit, static_argnames="nets")
def prior_probability(params, z, *, nets: Networks):
  """D's probability that codes `z` are prior samples."""
  return jax.nn.sigmoid(critic(nets, params, z))


def evaluate(state, data, key, *, full: bool, nets: Networks, config):
  """The autoencoder's evaluation, plus D's view of the test codes and of
  prior samples and (with `full`) decoded prior samples."""
  del key
  ae_state = state.replace(params={n: state.params[n]
                                   for n in ("encoder", "decoder")})
  metrics, outputs = autoencoder.evaluate(
      ae_state, data, None, full=full, model=nets.autoencoder, config=config)
  z = np.asarray(jax.random.normal(jax.random.key(SAMPLE_SEED),
                                   (NUM_SAMPLES, nets.a.latent_dim)))
  d_prob = functools.partial(prior_probability, state.params, nets=nets)
  if "codes" in outputs:
    codes = outputs["codes"]
    metrics["d_prob_test_codes"] = float(np.mean(d_prob(codes)))
    metrics["code_mean_abs"] = float(np.mean(np.abs(codes.mean(0))))
    metrics["code_std"] = float(np.mean(codes.std(0)))
  metrics["d_prob_prior"] = float(np.mean(d_prob(z)))
  if full:
    outputs["prior_samples"] = np.asarray(prior_images(state.params, z,
                                                       nets=nets))
  return metrics, outputs


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """The adversarial autoencoder for the images of `spec`."""
  a = config.autoencoder
  nets, tx = networks(config, spec.image_shape), optimizers(config)
  return Method(
      init=step_lib.jit_once(functools.partial(init, nets=nets, tx=tx)),
      phases=(Phase("train", config.train.num_steps, functools.partial(
          train_step, nets=nets, tx=tx)),),
      evaluate=functools.partial(evaluate, nets=nets, config=config),
      figures=functools.partial(
          autoencoder.figures,
          corruption=autoencoder.corruption_name(config)),
      report_notes=probes.probe_notes,
      fingerprint=dict(method="aae",
                       disc_hidden=list(config.aae.disc_hidden),
                       **model_fingerprint(a, autoencoder.FINGERPRINT_FIELDS,
                                           spec)))
