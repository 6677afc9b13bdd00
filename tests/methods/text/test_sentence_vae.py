"""The sentence VAE and its language model as a method: decoding one token
at a time equals teacher forcing, the objective's terms, the KL schedule
and word dropout inside the step, the importance-weighted bound against
the ELBO, pmap = jit, exact resume, and one-line config errors. Tiny
networks on the Lee corpus's sentences."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.helpers import assert_resumes_exactly, build, first_batches, \
    load_config, pmap_and_jit_states
from unsup_jax import configs
from unsup_jax.data import sentences
from unsup_jax.errors import UserError
from unsup_jax.eval import likelihood
from unsup_jax.methods.text import sentence_vae as method_lib
from unsup_jax.models import sentence_vae as svae_models
from unsup_jax.models.sentence_vae import SentenceVAE
from unsup_jax.training.contract import step_phases


def _tiny(model="vae", **svae):
  config = load_config("sentence_vae_enwiki" if model == "vae"
                       else "lstm_lm_enwiki")
  config.data.update(name="lee", num_train=128, num_test=32, batch_size=16)
  config.sentences.max_length = 20
  config.train.parallel = "jit"
  config.svae.update(**svae)
  return config


def _state(config, batch):
  method, data = build(config)
  return method, data, jax.device_get(method.init(jax.random.key(0), batch))


@pytest.mark.parametrize("cell,conditioning", [("lstm", "input"),
                                               ("gru", "initial")])
def test_step_by_step_decoding_is_teacher_forcing(cell, conditioning):
  model = SentenceVAE(vocab_size=13, embed_dim=5, hidden=6, latent_dim=3,
                      cell=cell, conditioning=conditioning)
  tokens = jnp.array([[1, 5, 6, 7, 2, 0, 0], [1, 8, 2, 0, 0, 0, 0]])
  params = model.init(jax.random.key(0), tokens)["params"]
  call = lambda method, *a: model.apply({"params": params}, *a, method=method)
  z = jax.random.normal(jax.random.key(1), (2, 3))
  full = call(SentenceVAE.logits, tokens[:, :-1], z)
  state = call(SentenceVAE.decoder_state, z, 2)
  for t in range(tokens.shape[1] - 1):
    state, logits = call(SentenceVAE.step, state, tokens[:, t])
    np.testing.assert_allclose(logits, full[:, t], rtol=1e-5, atol=1e-5)
  # Padding changes neither the code nor the likelihood.
  longer = jnp.pad(tokens, ((0, 0), (0, 4)))
  chex.assert_trees_all_close(call(SentenceVAE.encode, longer),
                              call(SentenceVAE.encode, tokens), atol=1e-6)
  np.testing.assert_allclose(call(SentenceVAE.log_likelihood, longer, z),
                             call(SentenceVAE.log_likelihood, tokens, z),
                             rtol=1e-6)
  # z reaches the decoder.
  assert not np.allclose(call(SentenceVAE.log_likelihood, tokens, z),
                         call(SentenceVAE.log_likelihood, tokens, z + 1.0))


def test_the_step_weighs_the_kl_by_its_schedule_and_drops_words():
  config = _tiny(kl_schedule="linear", kl_steps=4, word_dropout=0.0)
  batch = first_batches(config, 1)[0]
  method, _, state = _state(config, batch)
  step = jax.jit(step_phases(method)[0].step)
  for expected in (0.0, 0.25, 0.5):
    state, m = jax.device_get(step(state, batch))
    assert m["kl_weight"] == pytest.approx(expected)
    assert m["loss"] == pytest.approx(m["loss_rec"] + expected * m["loss_kl"],
                                      rel=1e-5)
    assert m["elbo"] == pytest.approx(-(m["loss_rec"] + m["loss_kl"]),
                                      rel=1e-5)
  # Word dropout: the same z, inputs with words replaced by <unk>.
  tokens = jnp.asarray(batch["tokens"])
  keys = jax.random.split(jax.random.key(2), len(tokens))
  model = svae_models.from_config(
      config.svae, int(build(config)[1].spec().meta["vocab_size"]))
  plain = method_lib.loss_terms(model, state.params, tokens, keys,
                                word_dropout=0.0)
  dropped = method_lib.loss_terms(model, state.params, tokens, keys,
                                  word_dropout=1.0)
  np.testing.assert_allclose(plain["z"], dropped["z"])
  unk_inputs = jnp.where(tokens[:, :-1] > sentences.UNK, sentences.UNK,
                         tokens[:, :-1])
  want = model.apply({"params": state.params}, tokens, plain["z"],
                     unk_inputs, method=SentenceVAE.log_likelihood)
  np.testing.assert_allclose(dropped["log_lik"], want, rtol=1e-5)
  assert not np.allclose(dropped["log_lik"], plain["log_lik"])


def test_iwae_bound_is_above_the_elbo_and_grows_with_k():
  config = _tiny()
  batch = first_batches(config, 1)[0]
  method, data, state = _state(config, batch)
  model = svae_models.from_config(config.svae,
                                int(data.spec().meta["vocab_size"]))
  # Train briefly so that q(z|x) differs from the prior.
  step = jax.jit(step_phases(method)[0].step)
  for i in range(5):
    state, _ = step(state, first_batches(config, 5)[i])
  tokens = jnp.asarray(data.view.split("test")["tokens"][:16])
  params = state.params
  mean, logvar = model.apply({"params": params}, tokens,
                             method=SentenceVAE.encode)
  ll = lambda x, z: model.apply({"params": params}, x, z,
                                method=SentenceVAE.log_likelihood)
  bound = jax.jit(lambda seed, k: likelihood.iwae_log_likelihood(
      jax.random.key(seed), tokens, mean, logvar, ll, num_samples=k,
      chunk=min(k, 8)), static_argnums=1)
  avg = lambda k: float(np.mean([np.mean(bound(s, k)) for s in range(8)]))
  l1, l8, l64 = avg(1), avg(8), avg(64)
  assert l1 < l8 < l64
  # On the same samples the k-sample bound is above their average ELBO.
  t = svae_models.posterior_sample(model, params, tokens,
                                  jax.random.split(jax.random.key(0), 16))
  elbo = ll(tokens, t["z"]) - jnp.sum(t["kl_units"], axis=-1)
  assert l64 > float(jnp.mean(elbo))


@pytest.mark.parametrize("model", ["vae", "lm"])
def test_pmap_steps_equal_jit_steps(model):
  config = _tiny(model)
  config.data.batch_size = 8
  batches = first_batches(config, 2)
  method, _, state = _state(config, batches[0])
  a, b = pmap_and_jit_states(step_phases(method)[0].step, state, batches,
                             metric_atol=1e-4)
  chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)


def test_resumes_exactly_and_reports_the_collapse_diagnostics(tmp_path):
  config = _tiny()
  config.train.update(num_steps=5, checkpoint_every=2, eval_every=0)
  results, whole = assert_resumes_exactly(config, tmp_path, stop_after=3)
  for k in ("nll", "ppl", "nll_elbo", "loss_kl", "active_units",
            "mutual_info"):
    assert np.isfinite(results[f"test_{k}"]), k
  assert results["test_nll"] <= results["test_nll_elbo"] + 1.0
  assert results["test_ppl"] == pytest.approx(np.exp(
      results["test_nll"] / (results["test_words_per_sentence"] + 1)),
                                              rel=1e-4)
  text = (tmp_path / "whole" / "reconstructions.txt").read_text()
  assert text.count("input:") == config.svae.shown
  homotopies = (tmp_path / "whole" / "homotopies.txt").read_text()
  assert len(homotopies.strip().split("\n\n")) == 3
  samples = (tmp_path / "whole" / "samples.txt").read_text()
  for decoded in (samples, homotopies, "".join(
      l for l in text.splitlines() if not l.startswith("input:"))):
    assert "<unk>" not in decoded and "<s>" not in decoded
  assert whole.endswith("whole")


@pytest.mark.parametrize("change,message", [
    (lambda c: c.sentences.update(min_length=9, max_length=5), "min_length"),
    (lambda c: c.svae.update(iwae_samples=10, iwae_chunk=4), "multiple"),
    (lambda c: c.data.update(binarize="dynamic"), "leave them at 'none'"),
    (lambda c: c.svae.update(kl_schedule="cosine"), "kl_schedule"),
    (lambda c: c.sentences.update(validation_fraction=0.5,
                                  test_fraction=0.5), "leave training"),
])
def test_bad_settings_are_one_line_user_errors(change, message):
  config = _tiny()
  change(config)
  with pytest.raises(UserError, match=message) as err:
    configs.validate(config)
  assert "\n" not in str(err.value)
