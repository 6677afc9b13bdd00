"""FactorVAE: a VAE whose total correlation a discriminator estimates.

Kim & Mnih (2018), "Disentangling by Factorising", arXiv:1802.05983. The
VAE (`methods/vae.py`'s networks and ELBO) is trained on

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

import jax
import jax.numpy as jnp
import ml_collections
import optax

from unsup_jax.losses import adversarial, disentanglement
from unsup_jax.methods import aae, common, vae
from unsup_jax.ops import distributions
from unsup_jax.training import optim, step as step_lib
from unsup_jax.training.contract import Method, Phase
from unsup_jax.training.state import TrainState


def steps(config: ml_collections.ConfigDict, image_shape,
          dataset_size: int = 0) -> dict:
  """`init`, `train_step`, its halves `vae_update` / `d_update`, `model`
  and the discriminator's pure `critic(d_params, z)`."""
  v, f = config.vae, config.factor_vae
  model = vae.make_model(v, image_shape)
  disc = aae.CodeDiscriminator(tuple(f.disc_hidden))
  losses = adversarial.get("non_saturating")
  tx = {"vae": optim.build(config),
        "discriminator": optax.adam(f.d_learning_rate, f.d_beta1,
                                    f.d_beta2)}

  def critic(d_params, z):
    return disc.apply({"params": d_params}, z)

  @step_lib.jit_once
  def init(key, batch):
    v_key, d_key, run_key = jax.random.split(key, 3)
    params = {"vae": model.init(v_key, batch["image"][:1])["params"],
              "discriminator": disc.init(
                  d_key, jnp.zeros((1, v.latent_dim)))["params"]}
    return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                      opt_state={k: tx[k].init(params[k]) for k in tx},
                      key=run_key)

  def vae_update(state, x, key, *, axis_name=None):
    """The VAE on -ELBO + gamma * TC against the current D; D untouched.
    Returns the new state, metrics and the batch's (detached) codes."""
    keys = distributions.per_example_keys(
        key, x.shape[0], step_lib.example_offset(x.shape[0], axis_name))
    beta, capacity = vae.kl_weights(state.step, v)

    def loss_fn(params):
      t = vae.posterior_terms(model, params, x, keys)
      loss, metrics = vae.objective(t, v, beta, capacity, dataset_size)
      tc = disentanglement.density_ratio_tc(
          critic(state.params["discriminator"], t["z"]))
      loss = loss + f.gamma * tc
      return loss, (dict(metrics, loss=loss, tc_estimate=tc), t["z"])

    (_, (metrics, z)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params["vae"])
    state, metrics = step_lib.apply_gradients(
        state, grads, metrics, tx["vae"], axis_name=axis_name, part="vae",
        advance=False)
    return state, metrics, jax.lax.stop_gradient(z)

  def d_update(state, z, key, *, axis_name=None):
    """D on codes `z` (real) against their shuffled units (fake); the VAE
    untouched."""
    if axis_name is not None:
      z = jax.lax.all_gather(z, axis_name, tiled=True)
    shuffled = disentanglement.permute_dims(key, z)

    def loss_fn(d_params):
      loss, metrics = losses.d(critic(d_params, z), critic(d_params, shuffled))
      return loss, dict(metrics, loss=loss)

    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params["discriminator"])
    return step_lib.apply_gradients(state, grads, metrics,
                                    tx["discriminator"], axis_name=axis_name,
                                    part="discriminator")

  def train_step(state, batch, *, axis_name=None):
    key = step_lib.step_key(state)
    state, metrics, z = vae_update(state, batch["image"],
                                   jax.random.fold_in(key, 0),
                                   axis_name=axis_name)
    state, d_metrics = d_update(state, z, jax.random.fold_in(key, 1),
                                axis_name=axis_name)
    metrics = dict(metrics, d_loss=d_metrics["d_loss"],
                   d_real_prob=d_metrics["d_real_prob"],
                   d_fake_prob=d_metrics["d_fake_prob"],
                   nonfinite_total=metrics["nonfinite_total"] +
                   d_metrics["nonfinite_total"])
    return state, metrics

  return dict(init=init, train_step=train_step, vae_update=vae_update,
              d_update=d_update, model=model, critic=critic)


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """FactorVAE for the images of `spec`."""
  fns = steps(config, spec.image_shape,
              int(spec.meta.get("num_train_examples", 0)))
  evaluate_vae = functools.partial(vae.evaluate, model=fns["model"],
                                   config=config)

  def evaluate(state, data, key, *, full=True):
    return evaluate_vae(state.replace(params=state.params["vae"]), data, key,
                        full=full)

  f = config.factor_vae
  fingerprint = dict(method="factor_vae",
                     disc_hidden=list(f.disc_hidden),
                     **common.model_fingerprint(config.vae,
                                                vae.FINGERPRINT_FIELDS, spec))
  return Method(init=fns["init"],
                phases=(Phase("train", config.train.num_steps,
                              fns["train_step"]),),
                evaluate=evaluate, figures=vae.figures,
                fingerprint=fingerprint, report_notes=common.probe_notes)
