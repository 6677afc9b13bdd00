"""FactorVAE: a VAE whose total correlation a discriminator estimates.

Kim & Mnih (2018), "Disentangling by Factorising", arXiv:1802.05983. The
VAE (`methods/vae/vae.py`'s networks and ELBO) is trained on

    -ELBO + gamma * TC,   TC ~ E_q(z)[log D(z) / (1 - D(z))]

where the discriminator D tells codes of q(z) (the batch's posterior
samples) from codes whose units are shuffled across the batch, samples of
the product of the marginals (`losses/disentanglement.py`). One compiled
step updates the VAE (D fixed), then D on the same batch's codes (the VAE
fixed), each with its own optimiser, as the GAN's two players are
(`training/step.apply_gradients(part=...)`), with the GAN's non-saturating
discriminator loss (`losses/adversarial.py`). The paper draws D's codes
from a second batch; here they are the first batch's (detached), which
saves an encoder pass. Under pmap the codes D sees are gathered from every
device and shuffled as one batch, so eight devices compute what one does.

Evaluation is the VAE's (test NLL, ELBO, and on factor data the
disentanglement metrics). Config: `configs/factor_vae.py`.
"""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import ml_collections
import optax

from unsup_jax.eval import probes
from unsup_jax.losses import adversarial, disentanglement
from unsup_jax.methods.vae import vae
from unsup_jax.models import vae as vae_models
from unsup_jax.models.networks import CodeDiscriminator
from unsup_jax.models.vae import VAE
from unsup_jax.ops import distributions
from unsup_jax.training import optim, step as step_lib
from unsup_jax.training.contract import Method, Phase, model_fingerprint
from unsup_jax.training.state import TrainState

# The discriminator's loss: the GAN's non-saturating one.
LOSSES = adversarial.get("non_saturating")


class Networks(NamedTuple):
  vae: VAE
  discriminator: CodeDiscriminator


def networks(config: ml_collections.ConfigDict, image_shape) -> Networks:
  return Networks(vae_models.from_config(config.vae, image_shape),
                  CodeDiscriminator(tuple(config.factor_vae.disc_hidden)))


def optimizers(config: ml_collections.ConfigDict) -> dict:
  """`config.optim` for the VAE, Adam of `factor_vae` for D."""
  f = config.factor_vae
  return {"vae": optim.build(config),
          "discriminator": optax.adam(f.d_learning_rate, f.d_beta1,
                                      f.d_beta2)}


def init(key, batch, *, nets: Networks, tx: dict) -> TrainState:
  v_key, d_key, run_key = jax.random.split(key, 3)
  params = {"vae": nets.vae.init(v_key, batch["image"][:1])["params"],
            "discriminator": nets.discriminator.init(
                d_key, jnp.zeros((1, nets.vae.latent_dim)))["params"]}
  return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                    opt_state={k: tx[k].init(params[k]) for k in tx},
                    key=run_key)


def critic(nets: Networks, d_params, z):
  """D's logits `[B]` of codes `z` `[B, D]`."""
  return nets.discriminator.apply({"params": d_params}, z)


def vae_update(state, x, key, *, nets: Networks, tx: dict, v, gamma: float,
               dataset_size: int = 0, axis_name=None):
  """The VAE on -ELBO + gamma * TC against the current D; D untouched.
  Returns the new state, metrics and the batch's (detached) codes."""
  keys = distributions.per_example_keys(
      key, x.shape[0], step_lib.example_offset(x.shape[0], axis_name))
  beta, capacity = vae.kl_weights(state.step, v)

  def loss_fn(params):
    t = vae.posterior_terms(nets.vae, params, x, keys)
    loss, metrics = vae.objective(t, v, beta, capacity, dataset_size)
    tc = disentanglement.density_ratio_tc(
        critic(nets, state.params["discriminator"], t["z"]))
    loss = loss + gamma * tc
    return loss, (dict(metrics, loss=loss, tc_estimate=tc), t["z"])

  (_, (metrics, z)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params["vae"])
  state, metrics = step_lib.apply_gradients(
      state, grads, metrics, tx["vae"], axis_name=axis_name, part="vae",
      advance=False)
  return state, metrics, jax.lax.stop_gradient(z)


def d_update(state, z, key, *, nets: Networks, tx: dict, axis_name=None):
  """D on codes `z` (real) against their shuffled units (fake); the VAE
  untouched."""
  if axis_name is not None:
    z = jax.lax.all_gather(z, axis_name, tiled=True)
  shuffled = disentanglement.permute_dims(key, z)

  def loss_fn(d_params):
    loss, metrics = LOSSES.d(critic(nets, d_params, z),
                             critic(nets, d_params, shuffled))
    return loss, dict(metrics, loss=loss)

  (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params["discriminator"])
  return step_lib.apply_gradients(state, grads, metrics,
                                  tx["discriminator"], axis_name=axis_name,
                                  part="discriminator")


def train_step(state, batch, *, nets: Networks, tx: dict, v, gamma: float,
               dataset_size: int = 0, axis_name=None):
  """`vae_update` then `d_update` on the same batch's codes."""
  key = step_lib.step_key(state)
  state, metrics, z = vae_update(
      state, batch["image"], jax.random.fold_in(key, 0), nets=nets, tx=tx,
      v=v, gamma=gamma, dataset_size=dataset_size, axis_name=axis_name)
  state, d_metrics = d_update(state, z, jax.random.fold_in(key, 1),
                              nets=nets, tx=tx, axis_name=axis_name)
  metrics = dict(metrics, d_loss=d_metrics["d_loss"],
                 d_real_prob=d_metrics["d_real_prob"],
                 d_fake_prob=d_metrics["d_fake_prob"],
                 nonfinite_total=metrics["nonfinite_total"] +
                 d_metrics["nonfinite_total"])
  return state, metrics


def evaluate(state, data, key, *, full: bool, model: VAE, config):
  """The VAE's evaluation of `params["vae"]`."""
  return vae.evaluate(state.replace(params=state.params["vae"]), data, key,
                      full=full, model=model, config=config)


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """FactorVAE for the images of `spec`."""
  nets, tx = networks(config, spec.image_shape), optimizers(config)
  step = functools.partial(
      train_step, nets=nets, tx=tx, v=config.vae,
      gamma=config.factor_vae.gamma,
      dataset_size=int(spec.meta.get("num_train_examples", 0)))
  return Method(
      init=step_lib.jit_once(functools.partial(init, nets=nets, tx=tx)),
      phases=(Phase("train", config.train.num_steps, step),),
      evaluate=functools.partial(evaluate, model=nets.vae, config=config),
      figures=vae.figures, report_notes=probes.probe_notes,
      fingerprint=dict(method="factor_vae",
                       disc_hidden=list(config.factor_vae.disc_hidden),
                       **model_fingerprint(config.vae, vae.FINGERPRINT_FIELDS,
                                           spec)))
