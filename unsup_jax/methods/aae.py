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

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from unsup_jax.losses import adversarial, reconstruction
from unsup_jax.methods import autoencoder, common
from unsup_jax.nn.mlp import MLP
from unsup_jax.ops import distributions
from unsup_jax.training import optim, step as step_lib
from unsup_jax.training.contract import Method, Phase
from unsup_jax.training.state import TrainState

NETWORKS = ("encoder", "decoder", "discriminator")
# Which networks each optimiser moves.
MOVES = {"reconstruction": ("encoder", "decoder"),
         "discriminator": ("discriminator",), "encoder": ("encoder",)}
NUM_SAMPLES = 64
SAMPLE_SEED = 30


class CodeDiscriminator(nn.Module):
  """`[B, D]` codes -> `[B]` logits (prior sample = real)."""
  hidden: tuple[int, ...]

  @nn.compact
  def __call__(self, z: jax.Array) -> jax.Array:
    h = MLP(tuple(self.hidden), activation=nn.leaky_relu,
            activate_final=True)(z)
    return nn.Dense(1)(h)[:, 0]


def _only(moved, tx):
  """`tx` on the networks in `moved`, zero updates on the others."""
  return optax.multi_transform(
      {"on": tx, "off": optax.set_to_zero()},
      {n: ("on" if n in moved else "off") for n in NETWORKS})


def steps(config: ml_collections.ConfigDict, image_shape):
  """`init`, `train_step`, its two halves `reconstruct_update` and
  `regularise_update`, and the pure `encode` / `decode` / `critic`."""
  a, g = config.autoencoder, config.aae
  model = autoencoder.make_model(a, image_shape)
  cls = type(model)
  disc = CodeDiscriminator(tuple(g.disc_hidden))
  losses = adversarial.get("non_saturating")
  tx = {"reconstruction": _only(MOVES["reconstruction"], optim.build(config)),
        "discriminator": _only(MOVES["discriminator"], optax.adam(
            g.d_learning_rate, g.beta1)),
        "encoder": _only(MOVES["encoder"], optax.adam(g.g_learning_rate,
                                                      g.beta1))}

  def ae_params(params):
    return {"encoder": params["encoder"], "decoder": params["decoder"]}

  def encode(params, x):
    return model.apply({"params": ae_params(params)}, x, method=cls.encode)

  def decode(params, z):
    return model.apply({"params": ae_params(params)}, z, method=cls.decode)

  def critic(params, z):
    return disc.apply({"params": params["discriminator"]}, z)

  @step_lib.jit_once
  def init(key, batch):
    ae_key, d_key, run_key = jax.random.split(key, 3)
    params = dict(model.init(ae_key, batch["image"][:1])["params"])
    params["discriminator"] = disc.init(
        d_key, jnp.zeros((1, a.latent_dim)))["params"]
    return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                      opt_state={k: t.init(params) for k, t in tx.items()},
                      key=run_key)

  def update(state, which, loss_fn, *, axis_name, advance):
    """One update of optimiser `which` on the gradient of `loss_fn`."""
    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params)
    sub = state.replace(opt_state=state.opt_state[which])
    sub, metrics = step_lib.apply_gradients(sub, grads, metrics, tx[which],
                                            axis_name=axis_name,
                                            advance=advance)
    return sub.replace(opt_state={**state.opt_state,
                                  which: sub.opt_state}), metrics

  def reconstruct_update(state, batch, *, axis_name=None):
    x, x_in = batch["image"], autoencoder.inputs(batch)

    def loss_fn(params):
      loss, metrics = reconstruction.reconstruction_loss(
          x, decode(params, encode(params, x_in)), kind=a.likelihood)
      return loss, dict(metrics, loss=loss)
    return update(state, "reconstruction", loss_fn, axis_name=axis_name,
                  advance=False)

  def regularise_update(state, batch, key, *, axis_name=None):
    x_in = autoencoder.inputs(batch)
    b = x_in.shape[0]
    keys = distributions.per_example_keys(
        key, b, step_lib.example_offset(b, axis_name))
    prior = jax.vmap(lambda k: jax.random.normal(k, (a.latent_dim,)))(keys)
    codes = jax.lax.stop_gradient(encode(state.params, x_in))

    def d_loss(params):
      loss, metrics = losses.d(critic(params, prior), critic(params, codes))
      return loss, dict(metrics, loss=loss)
    state, d_metrics = update(state, "discriminator", d_loss,
                              axis_name=axis_name, advance=False)

    def g_loss(params):
      loss, metrics = losses.g(critic(state.params, encode(params, x_in)))
      return loss, dict(metrics, loss=loss)
    state, g_metrics = update(state, "encoder", g_loss, axis_name=axis_name,
                              advance=True)
    return state, {"d_loss": d_metrics["d_loss"],
                   "d_real_prob": d_metrics["d_real_prob"],
                   "d_fake_prob": d_metrics["d_fake_prob"],
                   "g_loss": g_metrics["g_loss"],
                   "nonfinite_total": g_metrics["nonfinite_total"]}

  def train_step(state, batch, *, axis_name=None):
    state, rec = reconstruct_update(state, batch, axis_name=axis_name)
    state, reg = regularise_update(state, batch, step_lib.step_key(state),
                                   axis_name=axis_name)
    return state, dict(reg, **{k: v for k, v in rec.items()
                               if k != "nonfinite_total"})

  return dict(init=init, train_step=train_step,
              reconstruct_update=reconstruct_update,
              regularise_update=regularise_update, encode=encode,
              decode=decode, critic=critic, model=model)


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """The adversarial autoencoder for the images of `spec`."""
  a = config.autoencoder
  fns = steps(config, spec.image_shape)
  to_image = autoencoder.to_image(a)
  sample = jax.jit(lambda params, z: to_image(fns["decode"](params, z)))
  d_prob = jax.jit(lambda params, z: jax.nn.sigmoid(fns["critic"](params, z)))

  def evaluate(state, data, key, *, full=True):
    del key
    ae_state = state.replace(params={n: state.params[n]
                                     for n in ("encoder", "decoder")})
    metrics, outputs = autoencoder.evaluate(ae_state, data, None, full=full,
                                            model=fns["model"], config=config)
    z = np.asarray(jax.random.normal(jax.random.key(SAMPLE_SEED),
                                     (NUM_SAMPLES, a.latent_dim)))
    if "codes" in outputs:
      codes = outputs["codes"]
      metrics["d_prob_test_codes"] = float(np.mean(d_prob(state.params,
                                                          codes)))
      metrics["code_mean_abs"] = float(np.mean(np.abs(codes.mean(0))))
      metrics["code_std"] = float(np.mean(codes.std(0)))
    metrics["d_prob_prior"] = float(np.mean(d_prob(state.params, z)))
    if full:
      outputs["prior_samples"] = np.asarray(sample(state.params, z))
    return metrics, outputs

  d = config.data
  corruption = (f"{d.corruption} {d.corruption_level:g}"
                if d.corruption != "none" else "")
  fingerprint = dict(method="aae", disc_hidden=list(config.aae.disc_hidden),
                     **common.model_fingerprint(
                         a, autoencoder.FINGERPRINT_FIELDS, spec))
  return Method(
      init=fns["init"],
      phases=(Phase("train", config.train.num_steps, fns["train_step"]),),
      evaluate=evaluate,
      figures=functools.partial(autoencoder.figures, corruption=corruption),
      fingerprint=fingerprint, report_notes=common.probe_notes)
