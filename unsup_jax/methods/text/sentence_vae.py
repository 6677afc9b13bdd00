"""The sentence VAE (Bowman et al. 2016) and its language-model baseline.

Bowman, Vilnis, Vinyals, Dai, Jozefowicz & Bengio (2016), "Generating
Sentences from a Continuous Space", CoNLL, arXiv:1511.06349. Networks:
`models/sentence_vae.py`; data: `data/sentences.py`; config:
`configs/sentence_vae.py`; evaluation: `sentence_vae_eval.py`.

One phase, "train". Each step of the VAE (`svae.model = "vae"`) takes
`data.batch_size` sentences, drops the decoder's input words to `<unk>` at
rate `svae.word_dropout` (the start marker and padding are kept), draws
one z per sentence from q(z|x) and minimises

  -log p(x|z) + w_t * KL(q(z|x) || N(0, I))

averaged over the sentences, w_t the KL weight of `svae.kl_schedule` at
step t rising to `svae.beta` (`ops/schedules.kl_weight`: linear, Bowman's
logistic, Fu et al.'s cyclical), the KL optionally with free bits
(`ops/schedules.free_bits`). Noise is keyed per sentence by its index in
the global batch, so pmap draws what jit draws. The language model
(`svae.model = "lm"`) is the same decoder without z, trained by -log p(x)
(with `svae.word_dropout` too; `lstm_lm_enwiki` sets it to 0).
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections

from unsup_jax.data import sentences
from unsup_jax.methods.text import sentence_vae_eval
from unsup_jax.models import sentence_vae as svae_models
from unsup_jax.models.sentence_vae import SentenceVAE, posterior_sample
from unsup_jax.ops import corruption, distributions, schedules
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import Method, Phase

FINGERPRINT_FIELDS = ("model", "cell", "embed_dim", "hidden", "latent_dim",
                      "conditioning")


def init(key, batch, *, model: SentenceVAE, tx) -> state_lib.TrainState:
  param_key, run_key = jax.random.split(key)
  params = model.init(param_key, batch["tokens"][:1])["params"]
  return state_lib.create(run_key, params, tx)


def loss_terms(model: SentenceVAE, params, tokens: jax.Array,
               keys: jax.Array, *, word_dropout: float) -> dict:
  """Per sentence: `log_lik` (log p(x|z) of one z, or the LM's log p(x))
  with the decoder's inputs word-dropped, and for the VAE `kl_units`."""
  k_drop, k_z = jnp.moveaxis(jax.vmap(jax.random.split)(keys), 1, 0)
  drop = functools.partial(corruption.word_dropout, rate=word_dropout,
                           unk=sentences.UNK, keep_below=sentences.UNK + 1)
  inputs = jax.vmap(drop)(k_drop, tokens[:, :-1])
  out, z = {}, None
  if model.latent_dim:
    out = posterior_sample(model, params, tokens, k_z)
    z = out["z"]
  out["log_lik"] = model.apply({"params": params}, tokens, z, inputs,
                               method=SentenceVAE.log_likelihood)
  return out


def objective(t: dict, *, kl_weight, free_bits: float):
  """(loss, metrics) from `loss_terms`: -log p(x|z) + w KL (free bits
  applied), averaged over the sentences."""
  rec = -jnp.mean(t["log_lik"])
  if "kl_units" not in t:
    return rec, {"loss": rec, "loss_rec": rec}
  kl = jnp.mean(jnp.sum(t["kl_units"], axis=-1))
  kl_term = jnp.mean(schedules.free_bits(t["kl_units"], free_bits))
  loss = rec + kl_weight * kl_term
  return loss, {"loss": loss, "loss_rec": rec, "loss_kl": kl,
                "elbo": -(rec + kl), "kl_weight": kl_weight}


def kl_weight_at(step, v) -> jax.Array:
  """The KL weight of section `v` at `step`."""
  return schedules.kl_weight(step, v.kl_schedule, end_value=v.beta,
                             steps=v.kl_steps,
                             ramp_fraction=v.kl_ramp_fraction)


def train_step(state, batch, *, model: SentenceVAE, tx, v, axis_name=None):
  """One step on `batch["tokens"]` `[B, L]`."""
  tokens = batch["tokens"]
  keys = distributions.per_example_keys(
      step_lib.step_key(state), tokens.shape[0],
      step_lib.example_offset(tokens.shape[0], axis_name))
  weight = kl_weight_at(state.step, v)

  def loss_fn(params):
    return objective(loss_terms(model, params, tokens, keys,
                                word_dropout=v.word_dropout),
                     kl_weight=weight, free_bits=v.free_bits)

  (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params)
  return step_lib.apply_gradients(state, grads, metrics, tx,
                                  axis_name=axis_name)


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """The sentence VAE (or language model) for the `tokens` of `spec`."""
  v = config.svae
  vocab_size = int(spec.meta["vocab_size"])
  model = svae_models.from_config(v, vocab_size)
  tx = optim.build(config)
  st = sentence_vae_eval.setting(config, model, spec)
  return Method(
      init=step_lib.jit_once(functools.partial(init, model=model, tx=tx)),
      phases=(Phase("train", config.train.num_steps, functools.partial(
          train_step, model=model, tx=tx, v=v)),),
      evaluate=functools.partial(sentence_vae_eval.evaluate, st=st),
      figures=sentence_vae_eval.figures,
      report_notes=functools.partial(sentence_vae_eval.report_notes, st=st),
      fingerprint={"method": "sentence_vae",
                   "model": {f: v[f] for f in FINGERPRINT_FIELDS},
                   "vocab_size": vocab_size,
                   "tokens_shape": list(spec.shape("tokens"))})
