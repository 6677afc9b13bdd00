"""Evaluation of the sentence VAE and its language model
(`sentence_vae.py`).

Final evaluation, on the test sentences (the first `svae.eval_sentences`,
or all):

* the VAE: NLL per sentence by the importance-weighted bound with k =
  `svae.iwae_samples` (Burda et al. 2016; `eval/likelihood.py`), and the
  ELBO's NLL beside it; perplexity per word, exp(total NLL / predicted
  tokens), every word and each end marker counted as Bowman et al. do;
  the mean reconstruction and KL terms; the collapse diagnostics: active
  units (Burda et al.: Var_x E[z_u|x] > 0.01) and the mutual information
  I(x; z) (He et al. 2019's estimator over the test set);
* the language model: its exact NLL and perplexity.

The quick evaluation during training scores the validation sentences by
the ELBO (no importance sampling) with the KL, active units and mutual
information: the diagnostics over training.

Text outputs (files in the workdir, and in the report): reconstructions of
test sentences from their posterior means by greedy decoding and by beam
search (`ops/decoding.py`; padding, the start marker and `<unk>` are never
decoded), sentences greedily decoded from z ~ N(0, I)
(for the language model: sampled word by word), and homotopies, sentences
decoded along the line between two test sentences' posterior means
(Bowman et al., Table 8).
"""

import functools
import math
import os
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from unsup_jax.data import sentences
from unsup_jax.eval import likelihood
from unsup_jax.eval.batched import map_batches
from unsup_jax.models.sentence_vae import SentenceVAE, posterior_sample
from unsup_jax.ops import decoding, distributions
from unsup_jax.viz import report as viz_report
from unsup_jax.viz import sentence_vae as viz_svae

QUICK_SENTENCES = 500   # validation sentences of the quick evaluation
# Never decoded: padding, the start marker and <unk>, the most frequent
# "word" of a small corpus, which greedy decoding would otherwise repeat.
# Scores (NLL, perplexity) keep the full softmax.
UNDECODED = (sentences.PAD, sentences.BOS, sentences.UNK)


class Setting(NamedTuple):
  """What the evaluation of one config reads: the `svae` section, the
  network, the vocabulary, the longest decoded sentence (words and end
  marker) and the evaluation batch."""
  v: Any
  model: SentenceVAE
  words: list
  max_length: int
  batch_size: int

  @property
  def is_vae(self) -> bool:
    return self.model.latent_dim > 0


def setting(config, model: SentenceVAE, spec) -> Setting:
  return Setting(v=config.svae, model=model, words=list(spec.meta["words"]),
                 max_length=int(spec.meta["max_length"]) + 1,
                 batch_size=config.eval.batch_size)


def _apply(model, params, *args, method):
  return model.apply({"params": params}, *args, method=method)


@functools.partial(jax.jit, static_argnames=("model", "num_samples",
                                             "chunk"))
def scores(key, params, tokens, *, model: SentenceVAE, num_samples: int = 0,
           chunk: int = 1):
  """Per sentence: log_lik; for the VAE also rec, kl, mean, logvar and,
  with `num_samples`, the IWAE bound `log_px` (in chunks of `chunk`)."""
  if not model.latent_dim:
    return {"log_lik": _apply(model, params, tokens, None,
                              method=SentenceVAE.log_likelihood)}
  k_z, k_iwae = jax.random.split(key)
  t = posterior_sample(model, params, tokens,
                       jax.random.split(k_z, tokens.shape[0]))
  out = dict(mean=t["mean"], logvar=t["logvar"],
             kl=jnp.sum(t["kl_units"], axis=-1),
             log_lik=_apply(model, params, tokens, t["z"],
                            method=SentenceVAE.log_likelihood))
  if num_samples:
    out["log_px"] = likelihood.iwae_log_likelihood(
        k_iwae, tokens, t["mean"], t["logvar"],
        lambda x, z: _apply(model, params, x, z,
                            method=SentenceVAE.log_likelihood),
        num_samples=num_samples, chunk=chunk)
  return out


@functools.partial(jax.jit, static_argnames=("model", "max_length", "count",
                                             "beam", "sample"))
def decode(params, z, key=None, *, model: SentenceVAE, max_length: int,
           count: int = 0, beam: int = 0, sample: bool = False):
  """Token ids `[N, max_length]` decoded from codes `z` `[N, D]` (None
  for the language model, with N = `count`): greedy, beam search of
  width `beam`, or sampled word by word with `key`."""
  n = z.shape[0] if z is not None else count
  state = _apply(model, params, z, n, method=SentenceVAE.decoder_state)
  banned = jnp.zeros(model.vocab_size).at[jnp.asarray(UNDECODED)].set(
      -jnp.inf)

  def step(s, tok):
    s, logits = _apply(model, params, s, tok, method=SentenceVAE.step)
    return s, logits + banned
  start = jnp.full((n,), sentences.BOS, jnp.int32)
  common = dict(max_length=max_length, eos=sentences.EOS, pad=sentences.PAD)
  if sample:
    return decoding.sample(key, step, state, start, **common)[0]
  if beam:
    return decoding.beam_search(step, state, start, beam=beam, **common)[0]
  return decoding.greedy(step, state, start, **common)[0]


def text(st: Setting, ids) -> list[str]:
  return [sentences.decode(row, st.words) for row in np.asarray(ids)]


def score_metrics(st: Setting, out: dict, n: int, predicted: float,
                  key) -> dict:
  """NLL per sentence and perplexity per word (IWAE's, and the ELBO's for
  the VAE), the KL and reconstruction terms, active units and I(x; z)."""
  per_word = lambda total: math.exp(min(total / predicted, 700.0))
  if not st.is_vae:
    nll = -float(np.sum(out["log_lik"]))
    return {"nll": nll / n, "ppl": per_word(nll)}
  rec, kl = -out["log_lik"], out["kl"]
  elbo_nll = float(np.sum(rec + kl))
  metrics = {"nll_elbo": elbo_nll / n, "ppl_elbo": per_word(elbo_nll),
             "loss_rec": float(np.mean(rec)), "loss_kl": float(np.mean(kl)),
             "active_units": int(likelihood.active_units(out["mean"])),
             "mutual_info": float(likelihood.mutual_information(
                 key, jnp.asarray(out["mean"]), jnp.asarray(out["logvar"])))}
  if "log_px" in out:
    nll = -float(np.sum(out["log_px"]))
    metrics.update(nll=nll / n, ppl=per_word(nll),
                   iwae_samples=st.v.iwae_samples)
  return metrics


def evaluate(state, data, key, *, full: bool, st: Setting):
  """NLL and perplexity of the test sentences (with `full`; else the
  validation sentences by the ELBO), the collapse diagnostics, and with
  `full` the decoded sentences of the text outputs."""
  v = st.v
  tokens = np.asarray(data.split("test" if full else "validation")["tokens"])
  tokens = tokens[:v.eval_sentences or (None if full else QUICK_SENTENCES)]
  predicted = float(np.sum(sentences.lengths(tokens) + 1))
  k = v.iwae_samples if full and st.is_vae else 0
  batch = st.batch_size
  if k:   # decoder outputs held at once: chunk x batch sentences
    batch = max(1, batch // min(v.iwae_chunk, k))
  score_key, mi_key, text_key = jax.random.split(key, 3)
  out = map_batches(
      lambda kk, x: scores(kk, state.params, x, model=st.model,
                           num_samples=k, chunk=v.iwae_chunk),
      tokens, batch_size=batch, key=score_key)
  n = len(tokens)
  metrics = score_metrics(st, out, n, predicted, mi_key)
  if not full:
    return metrics, {}
  metrics.update(sentences=n, words_per_sentence=predicted / n - 1)
  texts = decoded_texts(st, state.params, tokens, out, text_key)
  outputs = {"decoded": texts,
             "texts": {f"{name}.txt": "\n".join(lines) + "\n"
                       for name, lines in _as_lines(texts).items()}}
  if st.is_vae:
    outputs["kl_units"] = np.mean(np.asarray(
        distributions.kl_standard_normal_units(out["mean"], out["logvar"])),
                                  axis=0)
  return metrics, outputs


def decoded_texts(st: Setting, params, tokens, out, key) -> dict:
  """The decoded sentences of the text outputs (see the module
  docstring)."""
  v, shown = st.v, st.v.shown
  dec = functools.partial(decode, params, model=st.model,
                          max_length=st.max_length)
  if not st.is_vae:
    return {"samples": text(st, dec(None, key, count=shown, sample=True))}
  mean = jnp.asarray(out["mean"][:shown])
  z = jax.random.normal(key, (shown, st.model.latent_dim))
  texts = {"inputs": text(st, tokens[:shown]),
           "greedy": text(st, dec(mean)),
           "beam": text(st, dec(mean, beam=v.beam)),
           "samples": text(st, dec(z))}
  pairs = min(3, len(out["mean"]) // 2)
  t = jnp.linspace(0.0, 1.0, v.homotopy_steps)[:, None]
  texts["homotopies"] = [
      text(st, dec(jnp.asarray((1 - t) * out["mean"][2 * p] +
                               t * out["mean"][2 * p + 1])))
      for p in range(pairs)]
  return texts


def figures(outputs: dict, outdir: str) -> dict:
  path = lambda name: os.path.join(outdir, f"{name}.png")
  history = outputs.get("history") or []
  figs = {}
  if any("loss_kl" in r for r in history):
    figs["kl_annealing"] = viz_svae.annealing_curves(
        history, path("kl_annealing"))
  if any("eval_active_units" in r for r in history):
    figs["collapse_diagnostics"] = viz_svae.collapse_curves(
        history, path("collapse_diagnostics"))
  if "kl_units" in outputs:
    figs["kl_per_unit"] = viz_svae.kl_per_unit(outputs["kl_units"],
                                               path("kl_per_unit"))
  return figs


def report_notes(results: dict, outputs: dict, *, st: Setting) -> list:
  """The decoded sentences as report sections."""
  del results
  r = outputs.get("decoded")
  if not r:
    return []
  out = []
  if "inputs" in r:
    rows = [[i, g, b] for i, g, b in zip(r["inputs"], r["greedy"],
                                          r["beam"])]
    out.append("### Reconstructions of test sentences (posterior mean)\n\n"
               + viz_report.markdown_table(
                   ["input", "greedy", f"beam search ({st.v.beam})"],
                   rows, numeric_from=3))
  kind = ("greedy decoding of z ~ N(0, I)" if st.is_vae
          else "sampled word by word")
  out.append(f"### Samples ({kind})\n\n" +
             "\n".join(f"- {s or '(empty)'}" for s in r["samples"]))
  for i, line in enumerate(r.get("homotopies", [])):
    out.append(f"### Homotopy {i + 1} (between two test sentences' "
               "posterior means)\n\n" +
               "\n".join(f"{j}. {s or '(empty)'}"
                         for j, s in enumerate(line)))
  return out


def _as_lines(texts: dict) -> dict:
  """The text files' lines."""
  out = {"samples": list(texts["samples"])}
  if "inputs" in texts:
    out["reconstructions"] = [
        f"input:  {i}\ngreedy: {g}\nbeam:   {b}\n"
        for i, g, b in zip(texts["inputs"], texts["greedy"], texts["beam"])]
    out["homotopies"] = ["\n".join(h) + "\n" for h in texts["homotopies"]]
  return out
