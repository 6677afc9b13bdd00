"""VQ-VAE and VQ-VAE-2, then a gated PixelCNN prior over their codes.

Phase "train" (`train.num_steps`): the autoencoder learns by reconstruction
MSE plus the commitment loss beta ||z_e - sg[e]||^2 (van den Oord et al.
2017, arXiv:1711.00937, Eq. 3); the codebooks are exponential moving averages
of the encoder outputs assigned to them (Appendix A.1), with unused codes
restarted from encoder outputs (`ops/quantize.py`). Before it, the
whole-data phase "kmeans" (`vq.kmeans_iters > 0`) starts each codebook at
the k-means centres of encoder outputs drawn from the encoded training set.
`vq.levels = 2` gives VQ-VAE-2's top and bottom code maps (Razavi et al.
2019, arXiv:1906.00446). Config: `configs/vqvae.py`.

Phase "prior" (`prior.num_steps`): the autoencoder is frozen; a gated
PixelCNN (van den Oord et al. 2016, arXiv:1606.05328) learns the codes of the
training images, one per level, the bottom prior conditioned on the top code
map. Sampling draws codes from the priors (top first) and decodes them.

Bits per dimension (the paper's CIFAR-10 measure): the codes are a
deterministic posterior, so -log p(x) <= -log p(x | z_q) - log p(z_q): the
discretised-Gaussian reconstruction term plus the prior's NLL of the codes,
divided by the number of pixel values, in bits; reported with the learned
prior and with the uniform one. The decoder's Gaussian has a standard
deviation per pixel position, the root of the moving average of that
position's squared training error (its maximum-likelihood value; never
fitted on test data).
"""

import functools
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from unsup_jax.errors import UserError
from unsup_jax.eval import latents
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import categorical, vq
from unsup_jax.models.vqvae import VQVAE
from unsup_jax.nn import pixelcnn
from unsup_jax.ops import distributions, quantize
from unsup_jax.training import optim, step as step_lib
from unsup_jax.training.contract import Hook, Method, Phase
from unsup_jax.training.state import TrainState
from unsup_jax.viz import vqvae as vqvae_figures

LEVEL_NAMES = ("bottom", "top")
ERROR_DECAY = 0.99


class Networks(NamedTuple):
  """The autoencoder, one PixelCNN prior per level (bottom first) and the
  `vq` and `prior` config sections (frozen: hashable)."""
  model: VQVAE
  priors: tuple[pixelcnn.GatedPixelCNN, ...]
  v: Any
  p: Any

  @property
  def levels(self) -> int:
    return self.model.levels


def networks(config: ml_collections.ConfigDict, image_shape) -> Networks:
  v, p = config.vq, config.prior
  if min(image_shape[:2]) < 2 ** (v.num_down + v.levels - 1):
    raise UserError(f"images of {image_shape[0]}x{image_shape[1]} are too "
                    f"small for {v.num_down} downsamplings and {v.levels} "
                    f"levels; lower config.vq.num_down")
  model = VQVAE(image_shape=tuple(image_shape), levels=v.levels,
                hidden=v.hidden, residual_hidden=v.residual_hidden,
                num_residual=v.num_residual, embedding_dim=v.embedding_dim,
                num_down=v.num_down)
  priors = tuple(pixelcnn.GatedPixelCNN(
      num_codes=v.num_codes, channels=p.channels, num_layers=p.num_layers,
      kernel_size=p.kernel_size,
      num_cond_codes=v.num_codes if (v.levels == 2 and name == "bottom")
      else 0) for name in LEVEL_NAMES[:v.levels])
  return Networks(model, priors, ml_collections.FrozenConfigDict(v),
                  ml_collections.FrozenConfigDict(p))


def optimizers(config: ml_collections.ConfigDict) -> dict:
  """`config.optim` for the autoencoder, Adam of `prior` for the priors."""
  return {"vqvae": optim.build(config),
          "prior": optax.adam(config.prior.learning_rate)}


def decoder_log_scale(extra):
  """`[H, W, C]` log std of the decoder (floored at a tenth of a level)."""
  return 0.5 * jnp.log(jnp.maximum(extra["sq_error"], (0.1 / 255) ** 2))


def codebooks(extra) -> list:
  return [cb.ema.codebook for cb in extra["codebooks"]]


def encode(nets: Networks, params, extra, x) -> list[dict]:
  return nets.model.apply({"params": params["vqvae"]}, x, codebooks(extra),
                          method=VQVAE.encode)


def decode_indices(nets: Networks, params, extra, indices):
  return nets.model.apply({"params": params["vqvae"]}, indices,
                          codebooks(extra), method=VQVAE.decode_indices)


def prior_logits(nets: Networks, prior_params, indices) -> list:
  """Per level (bottom first) `[B, h, w, K]` logits of the codes."""
  bottom = nets.priors[0]
  if nets.levels == 2:
    top = nets.priors[1].apply({"params": prior_params["top"]}, indices[1])
    return [bottom.apply({"params": prior_params["bottom"]}, indices[0],
                         indices[1]), top]
  return [bottom.apply({"params": prior_params["bottom"]}, indices[0])]


def init(key, batch, *, nets: Networks, tx: dict) -> TrainState:
  v, levels = nets.v, nets.levels
  vq_key, cb_key, prior_key, run_key = jax.random.split(key, 4)
  x = batch["image"][:1]
  books = [jax.random.normal(jax.random.fold_in(cb_key, i),
                             (v.num_codes, v.embedding_dim))
           for i in range(levels)]
  params = {"vqvae": nets.model.init(vq_key, x, books)["params"]}
  dummy = [jnp.zeros((1,) + s, jnp.int32) for s in nets.model.code_shapes()]
  params["prior"] = {
      name: nets.priors[i].init(
          jax.random.fold_in(prior_key, i), dummy[i],
          *([dummy[1]] if nets.priors[i].num_cond_codes else []))["params"]
      for i, name in enumerate(LEVEL_NAMES[:levels])}
  opt_state = {k: tx[k].init(params[k]) for k in ("vqvae", "prior")}
  extra = {"codebooks": [quantize.codebook_init(b) for b in books],
           "sq_error": jnp.zeros(x.shape[1:], jnp.float32)}
  return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                    opt_state=opt_state, key=run_key, extra=extra)


def reconstruction_loss(vq_params, x, books, *, nets: Networks):
  """MSE plus the commitment loss of every level; the levels' encoder
  outputs and the per-position squared error ride along."""
  recon, lv = nets.model.apply({"params": vq_params}, x, books)
  sq_error = jnp.mean(jnp.square(recon - x), axis=0)        # [H, W, C]
  rec = jnp.mean(sq_error)
  metrics = {"loss_rec": rec}
  loss = rec
  for i, level in enumerate(lv):
    commit, m = vq.vq_loss(level["z"], level["codes"], beta=nets.v.commitment,
                           codebook_loss=False)
    loss = loss + commit
    metrics[f"loss_commit_{LEVEL_NAMES[i]}"] = m["loss_commit"]
  return loss, (dict(metrics, loss=loss), lv, sq_error)


def update_codebooks(state, lv, *, nets: Networks, axis_name=None):
  """Each level's EMA codebook moved towards the encoder outputs assigned
  to it (dead codes restarted), and its usage metrics."""
  v, key = nets.v, step_lib.step_key(state)
  books, metrics = [], {}
  for i, (cb, level) in enumerate(zip(state.extra["codebooks"], lv)):
    z = jax.lax.stop_gradient(level["z"]).reshape(-1, v.embedding_dim)
    books.append(quantize.update_codebook(
        cb, jax.random.fold_in(key, i), z, level["indices"].reshape(-1),
        decay=v.decay, epsilon=v.epsilon, restart_after=v.restart_after,
        axis_name=axis_name))
    usage = jnp.bincount(level["indices"].reshape(-1), length=v.num_codes)
    if axis_name is not None:
      usage = jax.lax.psum(usage, axis_name)
    metrics[f"perplexity_{LEVEL_NAMES[i]}"] = quantize.perplexity(usage)
    metrics[f"codes_used_{LEVEL_NAMES[i]}"] = jnp.sum(usage > 0).astype(
        jnp.float32)
  return books, metrics


def vq_step(state, batch, *, nets: Networks, tx: dict, axis_name=None):
  """One step of the autoencoder (reconstruction + commitment), the EMA
  codebooks and the moving average of the squared error per position."""
  x = batch["image"]
  (_, (metrics, lv, sq_error)), grads = jax.value_and_grad(
      reconstruction_loss, has_aux=True)(
          state.params["vqvae"], x, codebooks(state.extra), nets=nets)
  books, usage = update_codebooks(state, lv, nets=nets, axis_name=axis_name)
  if axis_name is not None:
    sq_error = jax.lax.pmean(sq_error, axis_name)
  sq_error = jnp.where(state.step == 0, sq_error,
                       ERROR_DECAY * state.extra["sq_error"] +
                       (1 - ERROR_DECAY) * sq_error)
  return step_lib.apply_gradients(
      state, grads, dict(metrics, **usage), tx["vqvae"], axis_name=axis_name,
      extra={"codebooks": books, "sq_error": sq_error}, part="vqvae")


def prior_step(state, batch, *, nets: Networks, tx: dict, axis_name=None):
  """One step of the priors on the (frozen) codes of `batch["image"]`."""
  lv = encode(nets, state.params, state.extra, batch["image"])
  indices = [jax.lax.stop_gradient(level["indices"]) for level in lv]

  def loss_fn(prior_params):
    logits = prior_logits(nets, prior_params, indices)
    loss, metrics = 0.0, {}
    for i in range(nets.levels):
      nll, m = categorical.categorical_nll(logits[i], indices[i])
      loss = loss + nll
      metrics[f"bits_per_code_{LEVEL_NAMES[i]}"] = m["bits_per_code"]
    return loss, dict(metrics, loss=loss)

  (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params["prior"])
  return step_lib.apply_gradients(state, grads, metrics, tx["prior"],
                                  axis_name=axis_name, part="prior")


@functools.partial(jax.jit, static_argnames=("nets", "level"))
def encoder_output(params, extra, x, *, nets: Networks, level: int):
  return encode(nets, params, extra, x)[level]["z"]


def kmeans_start(state, data, key, *, nets: Networks, config):
  """The whole-data phase before training: each codebook (top first, as
  the bottom encoder reads the quantised top) becomes the k-means centres
  of `vq.kmeans_points` encoder outputs drawn from the encoded training
  split, its counts scaled to one training batch."""
  v = nets.v
  images = data.split("train")["image"]
  books = list(state.extra["codebooks"])
  code_shapes = nets.model.code_shapes()
  for i in reversed(range(nets.levels)):
    extra = dict(state.extra, codebooks=books)
    z = map_batches(lambda x: encoder_output(state.params, extra, x,
                                             nets=nets, level=i),
                    images, batch_size=config.eval.batch_size)
    z = z.reshape(-1, v.embedding_dim)
    pick_key, fit_key = jax.random.split(jax.random.fold_in(key, i))
    rows = jax.random.choice(pick_key, len(z), (min(v.kmeans_points, len(z)),),
                             replace=False)
    z = jnp.asarray(z)[rows]
    scale = config.data.batch_size * math.prod(code_shapes[i]) / len(z)
    books[i] = jax.device_get(jax.jit(functools.partial(
        quantize.kmeans_codebook, num_codes=v.num_codes,
        iters=v.kmeans_iters, count_scale=scale))(fit_key, z))
  return state.replace(extra=dict(state.extra, codebooks=books))


@functools.partial(jax.jit, static_argnames="nets")
def eval_batch(params, extra, x, *, nets: Networks):
  """Per image: MSE, the reconstruction's and each level's prior's nats
  (bits-per-dimension terms), the codes and the reconstruction."""
  lv = encode(nets, params, extra, x)
  indices = [level["indices"] for level in lv]
  recon = nets.model.apply({"params": params["vqvae"]},
                           [level["quantized"] for level in lv],
                           method=VQVAE.decode)
  rec_nats = -distributions.discretized_gaussian_log_prob(
      x, recon, decoder_log_scale(extra))
  prior_nats = []
  for i, logits in enumerate(prior_logits(nets, params["prior"], indices)):
    logp = jax.nn.log_softmax(logits)
    picked = jnp.take_along_axis(logp, indices[i][..., None], axis=-1)
    prior_nats.append(-jnp.sum(picked, axis=(1, 2, 3)))
  return dict(mse=jnp.mean(jnp.square(recon - x), axis=(1, 2, 3)),
              rec_nats=rec_nats, prior_nats=prior_nats, indices=indices,
              recon=recon)


def code_metrics(out: dict, nets: Networks) -> dict:
  """MSE, and each level's perplexity and dead codes on the test set."""
  metrics = {"mse": float(np.mean(out["mse"]))}
  for i, name in enumerate(LEVEL_NAMES[:nets.levels]):
    usage = np.bincount(out["indices"][i].reshape(-1),
                        minlength=nets.v.num_codes)
    metrics[f"perplexity_{name}"] = float(quantize.perplexity(usage))
    metrics[f"dead_codes_{name}"] = int(np.sum(usage == 0))
  return metrics


def bits_metrics(state, out: dict, nets: Networks) -> dict:
  """Bits per dimension: the reconstruction's, with the uniform prior and
  (when trained) with the PixelCNN priors; bits per code of each prior."""
  v, code_shapes = nets.v, nets.model.code_shapes()
  to_bits = 1.0 / (math.prod(nets.model.image_shape) * math.log(2))
  uniform_nats = sum(math.prod(s) for s in code_shapes) * math.log(
      v.num_codes)
  rec = float(np.mean(out["rec_nats"]))
  metrics = {"rec_bits_per_dim": rec * to_bits,
             "bits_per_dim_uniform_prior": (rec + uniform_nats) * to_bits}
  if nets.p.num_steps > 0:
    prior = sum(float(np.mean(n)) for n in out["prior_nats"])
    metrics["bits_per_dim"] = (rec + prior) * to_bits
    for i, name in enumerate(LEVEL_NAMES[:nets.levels]):
      metrics[f"prior_bits_per_code_{name}"] = float(
          np.mean(out["prior_nats"][i]) / math.prod(code_shapes[i])
          / math.log(2))
  metrics["uniform_bits_per_code"] = math.log2(v.num_codes)
  metrics["decoder_scale_mean"] = float(np.mean(np.exp(
      decoder_log_scale(state.extra))))
  return metrics


def evaluate(state, data, key, *, full: bool, nets: Networks, config):
  """Test MSE and code usage; with `full` the bits per dimension and the
  figures' arrays (and samples from the priors once they are trained)."""
  images = data.split("test")["image"]
  out = map_batches(
      lambda x: eval_batch(state.params, state.extra, x, nets=nets),
      images, batch_size=config.eval.batch_size)
  metrics = code_metrics(out, nets)
  if not full:
    return metrics, {}
  metrics.update(bits_metrics(state, out, nets))
  shown = latents.NUM_SHOWN * 2
  outputs = {"images": images[:shown], "recons": out["recon"][:shown],
             "indices": [i[:shown] for i in out["indices"]],
             "all_indices": out["indices"]}
  if nets.p.num_steps > 0 and int(state.step) > config.train.num_steps:
    outputs["samples"] = np.asarray(sample(
        state.params, state.extra, key, nets=nets, num=nets.p.num_samples)[0])
  return metrics, outputs


@functools.partial(jax.jit, static_argnames=("nets", "num"))
def sample(params, extra, key, *, nets: Networks, num: int):
  """`num` images decoded from codes drawn from the priors (top first)."""
  top_key, bottom_key = jax.random.split(key)
  pp, code_shapes = params["prior"], nets.model.code_shapes()
  apply = lambda i, name: (lambda c, y: nets.priors[i].apply(
      {"params": pp[name]}, c, *([y] if y is not None else [])))
  top = None
  if nets.levels == 2:
    top = pixelcnn.sample(apply(1, "top"), top_key, num, code_shapes[1],
                          temperature=nets.p.temperature)
  bottom = pixelcnn.sample(apply(0, "bottom"), bottom_key, num,
                           code_shapes[0], cond=top,
                           temperature=nets.p.temperature)
  indices = [bottom] if nets.levels == 1 else [bottom, top]
  return decode_indices(nets, params, extra, indices), indices


def figures(outputs, outdir, *, num_codes: int, levels: int):
  return vqvae_figures.make(
      outdir, images=outputs["images"], recons=outputs["recons"],
      indices=outputs["indices"], all_indices=outputs["all_indices"],
      num_codes=num_codes, level_names=LEVEL_NAMES[:levels],
      samples=outputs.get("samples"), history=outputs.get("history", []))


def report_notes(results, outputs, *, levels: int):
  del outputs
  if "test_rec_bits_per_dim" not in results:
    return []
  line = (
      "Bits per dimension bound -log2 p(x) / dims <= reconstruction + "
      "rate: the decoder's discretised Gaussian (standard deviation per "
      "pixel from the training error) gives "
      f"{results['test_rec_bits_per_dim']:.3f}; the codes cost "
      f"{results['test_uniform_bits_per_code']:.0f} bits each under a "
      f"uniform prior (total {results['test_bits_per_dim_uniform_prior']:.3f})")
  if "test_bits_per_dim" in results:
    per_code = ", ".join(
        f"{n} {results[f'test_prior_bits_per_code_{n}']:.2f}"
        for n in LEVEL_NAMES[:levels])
    line += (f" and {per_code} bits under the PixelCNN prior (total "
             f"{results['test_bits_per_dim']:.3f}).")
  else:
    line += "; no prior was trained (`prior.num_steps = 0`)."
  return [line]


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """The VQ-VAE method (`config.vq.levels` 1 or 2) for the images of `spec`."""
  v, p = config.vq, config.prior
  nets, tx = networks(config, spec.image_shape), optimizers(config)
  bound = dict(nets=nets, tx=tx)
  phases = [Phase("train", config.train.num_steps,
                  functools.partial(vq_step, **bound))]
  if v.kmeans_iters > 0:
    phases.insert(0, Hook("kmeans", functools.partial(
        kmeans_start, nets=nets, config=config)))
  if p.num_steps > 0:
    phases.append(Phase("prior", p.num_steps,
                        functools.partial(prior_step, **bound)))
  return Method(
      init=step_lib.jit_once(functools.partial(init, **bound)),
      phases=tuple(phases),
      evaluate=functools.partial(evaluate, nets=nets, config=config),
      figures=functools.partial(figures, num_codes=v.num_codes,
                                levels=v.levels),
      report_notes=functools.partial(report_notes, levels=v.levels),
      fingerprint=dict(
          method="vqvae", image_shape=list(spec.image_shape),
          vq={f: v[f] for f in ("levels", "hidden", "residual_hidden",
                                "num_residual", "embedding_dim", "num_codes",
                                "num_down")},
          prior={f: p[f] for f in ("channels", "num_layers", "kernel_size")}))
