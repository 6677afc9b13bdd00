"""Every step of the methods that once hid their steps in closures or
classes (VQ-VAE, GAN, semantic hashing, inpainting, AAE, FactorVAE, DEC,
VaDE, the semi-supervised models), imported from its module and bound by
hand, as a reader would: one step on a tiny batch moves the parameters it
trains, leaves the others, and everything stays finite."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.helpers import image_spec, load_config
from unsup_jax.methods.adversarial import aae, gan
from unsup_jax.methods.clustering import dec, vade
from unsup_jax.methods.clustering import deep_clustering as deep
from unsup_jax.methods.compression import inpainting, semantic_hashing
from unsup_jax.methods.discrete import vqvae
from unsup_jax.methods.disentanglement import factor_vae
from unsup_jax.methods.semi_supervised import bounds, classifier_steps
from unsup_jax.methods.semi_supervised import semi_supervised
from unsup_jax.models import autoencoder as ae_models
from unsup_jax.training import optim

SHAPE = (8, 8, 1)
B = 4


def _images(seed=0, n=B):
  return jax.random.uniform(jax.random.key(seed), (n,) + SHAPE)


def _batch():
  return {"image": _images(), "label": jnp.arange(B, dtype=jnp.int32) % 2,
          "index": jnp.arange(B, dtype=jnp.int32)}


def _vqvae(step):
  config = load_config("vqvae_mnist")
  config.vq.update(hidden=8, residual_hidden=4, embedding_dim=4, num_codes=8)
  config.prior.update(channels=4)
  bound = dict(nets=vqvae.networks(config, SHAPE), tx=vqvae.optimizers(config))
  state = vqvae.init(jax.random.key(0), _batch(), **bound)
  return state, functools.partial(step, **bound)


def _gan(step):
  config = load_config("dcgan_mnist")
  config.gan.update(g_channels=8, d_channels=4, noise_dim=4, r1_every=1)
  bound = dict(nets=gan.networks(config, SHAPE), tx=gan.optimizers(config))
  return gan.init(jax.random.key(0), _batch(), **bound), functools.partial(
      step, **bound)


def _hashing(step):
  config = load_config("semantic_hashing_mnist")
  config.hashing.update(encoder_hidden=(8,), decoder_hidden=(8,), bits=4)
  bound = dict(model=semantic_hashing.network(config.hashing, SHAPE),
               tx=optim.build(config))
  state = semantic_hashing.init(jax.random.key(0), _batch(), **bound)
  return state, functools.partial(step, h=config.hashing, **bound)


def _inpainting(step):
  config = load_config("inpainting_mnist")
  config.inpaint.update(size=4, bottleneck=8, encoder_channels=(4,),
                        decoder_channels=(4,), disc_channels=(4,),
                        adversarial_weight=0.1)
  bound = dict(nets=inpainting.networks(config, SHAPE),
               tx=inpainting.optimizer(config, train_discriminator=True))
  state = inpainting.init(jax.random.key(0), _batch(), **bound)
  return state, functools.partial(step, **bound)


def _aae(step):
  config = load_config("denoising_aae_mnist")
  config.autoencoder.update(encoder_hidden=(8,), decoder_hidden=(8,),
                            latent_dim=2)
  config.aae.disc_hidden = (4,)
  bound = dict(nets=aae.networks(config, SHAPE), tx=aae.optimizers(config))
  return aae.init(jax.random.key(0), _batch(), **bound), functools.partial(
      step, **bound)


def _factor_vae(step):
  config = load_config("factor_vae_dsprites")
  config.vae.update(kind="mlp", encoder_hidden=(8,), decoder_hidden=(8,),
                    latent_dim=2)
  config.factor_vae.disc_hidden = (4,)
  bound = dict(nets=factor_vae.networks(config, SHAPE),
               tx=factor_vae.optimizers(config))
  state = factor_vae.init(jax.random.key(0), _batch(), **bound)
  return state, functools.partial(step, v=config.vae,
                                  gamma=config.factor_vae.gamma, **bound)


def _clustering(module, step):
  """DEC (or VaDE) with centres (means) drawn at random, so that the
  cluster step has a gradient."""
  config = load_config("vade_mnist" if module is vade else "dec_mnist")
  c = config.cluster
  c.num_clusters = 2
  model = (vade.make_model(config.autoencoder, SHAPE) if module is vade else
           ae_models.from_config(config.autoencoder, SHAPE))
  txs = dict(pretrain_tx=optim.build(config),
             cluster_tx=deep.cluster_optimizer(c))
  state = module.init(jax.random.key(0), _batch(), model=model, c=c,
                      num_train=B, **txs)
  where = ("prior", "means") if module is vade else ("centres",)
  params = dict(state.params)
  inner = params
  for k in where[:-1]:
    inner[k] = dict(inner[k])
    inner = inner[k]
  inner[where[-1]] = jax.random.normal(jax.random.key(3),
                                       inner[where[-1]].shape)
  state = state.replace(params=params)
  if step is deep.cluster_step:
    loss = (functools.partial(vade.cluster_loss, model=model)
            if module is vade else functools.partial(
                dec.cluster_loss, model=model, a=config.autoencoder, c=c))
    return state, functools.partial(step, loss_fn=loss,
                                    tx=txs["cluster_tx"], policy="")
  extra = {} if module is vade else {"a": config.autoencoder}
  return state, functools.partial(step, model=model, tx=txs["pretrain_tx"],
                                  policy="", **extra)


def _semi(kind, step):
  config = load_config(f"{kind}_mnist")
  config.m1.update(encoder_hidden=(8,), decoder_hidden=(8,), latent_dim=2)
  config.semi.update(hidden=(8,), latent_dim=2)
  spec = image_spec(SHAPE, num_classes=2)
  spec = spec.__class__({"labelled": spec.streams["train"],
                         "unlabelled": spec.streams["train"]}, spec.meta,
                        spec.dataset)
  m, tx = bounds.models(config, spec), optim.build(config)
  batch = {"labelled": _batch(), "unlabelled": _batch()}
  state = semi_supervised.init(jax.random.key(0), batch, m=m, tx=tx)
  extra = ({"v": config.m1} if step is semi_supervised.m1_step else
           {"alpha": 1.0} if step is semi_supervised.m2_step else
           {"s": config.semi})
  return state, functools.partial(step, m=m, tx=tx, **extra), batch


CASES = {
    "vqvae.vq_step": (lambda: _vqvae(vqvae.vq_step), ["vqvae"]),
    "vqvae.prior_step": (lambda: _vqvae(vqvae.prior_step), ["prior"]),
    "gan.train_step": (lambda: _gan(gan.train_step),
                       ["generator", "discriminator"]),
    "semantic_hashing.train_step": (
        lambda: _hashing(semantic_hashing.train_step), None),
    "inpainting.train_step": (lambda: _inpainting(inpainting.train_step),
                              ["generator", "discriminator"]),
    "aae.train_step": (lambda: _aae(aae.train_step),
                       ["encoder", "decoder", "discriminator"]),
    "factor_vae.train_step": (lambda: _factor_vae(factor_vae.train_step),
                              ["vae", "discriminator"]),
    "dec.pretrain_step": (lambda: _clustering(dec, dec.pretrain_step),
                          ["autoencoder"]),
    "dec.cluster_step": (lambda: _clustering(dec, deep.cluster_step),
                         ["autoencoder", "centres"]),
    "vade.pretrain_step": (lambda: _clustering(vade, vade.pretrain_step),
                           ["autoencoder"]),
    "vade.cluster_step": (lambda: _clustering(vade, deep.cluster_step),
                          ["autoencoder", "prior"]),
    "semi_supervised.m1_step": (
        lambda: _semi("m1", semi_supervised.m1_step), ["m1"]),
    "classifier_steps.supervised_step": (
        lambda: _semi("supervised", classifier_steps.supervised_step),
        ["classifier"]),
    "classifier_steps.vat_step": (
        lambda: _semi("vat", classifier_steps.vat_step), ["classifier"]),
    "classifier_steps.fixmatch_step": (
        lambda: _semi("fixmatch", classifier_steps.fixmatch_step),
        ["classifier"]),
    "semi_supervised.m2_step": (
        lambda: _semi("m2", semi_supervised.m2_step), ["m2"]),
}


def _finite(tree) -> bool:
  return all(bool(np.all(np.isfinite(np.asarray(x))))
             for x in jax.tree.leaves(tree)
             if np.issubdtype(np.asarray(x).dtype, np.floating))


def _changed(a, b) -> bool:
  return not all(jax.tree.leaves(jax.tree.map(np.array_equal, a, b)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_step_moves_what_it_trains_and_stays_finite(name):
  made, moved = CASES[name][0](), CASES[name][1]
  state, step = made[:2]
  batch = made[2] if len(made) > 2 else _batch()
  state = jax.device_get(state)
  new, metrics = jax.device_get(jax.jit(step)(state, batch))
  assert int(new.step) == int(state.step) + 1
  assert np.isfinite(float(metrics["loss"])), metrics
  assert int(metrics["nonfinite_total"]) == 0
  assert _finite(new.params) and _finite(new.opt_state)
  if moved is None:                       # one network: all of it moves
    assert _changed(new.params, state.params)
    return
  for part in state.params:
    assert _changed(new.params[part], state.params[part]) == (part in moved), (
        part)
