"""Deterministic autoencoders: plain, sparse, denoising, tied linear, conv.

Hinton & Salakhutdinov (2006), Science 313: reconstruct the input through a
code. `autoencoder.likelihood` picks the reconstruction loss: "bce" (pixels
as Bernoulli logits) or "mse" (squared error, decoder output used
directly). Maths: `losses/reconstruction.py`; config:
`configs/autoencoder.py`. Variants, all set in the config:

* sparse (Ng 2011; Lee et al. 2008): `autoencoder.sparsity` in l1 | l2 | kl
  adds `sparsity_weight` times a penalty on the code (`losses/sparsity.py`;
  kl needs `code_activation = "sigmoid"`).
* denoising (Vincent et al. 2008, 2010): `data.corruption` in gaussian |
  masking | salt_and_pepper at `data.corruption_level` makes the data layer
  add the feature `corrupted` (`data/transforms.py`: fresh noise every step,
  fixed noise on the test set); the model reads it and the loss scores the
  reconstruction of the clean `image`.
* tied linear (Baldi & Hornik 1989): `kind = "linear_tied"`; with the mse
  loss it learns the principal subspace of the data.
"""

import functools
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.data.dataset import labels_of
from unsup_jax.eval import latents, probes
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import reconstruction, sparsity
from unsup_jax.models import autoencoder as ae_models
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import Method, Phase, model_fingerprint
from unsup_jax.viz import figures as viz
from unsup_jax.viz import latents as viz_latents

# `active_fraction`: units whose mean |code| over the data exceeds this, i.e.
# units that are not dead (a sparse sigmoid unit with target 0.05 is alive).
ACTIVE_THRESHOLDS = {"sigmoid": 0.01, "relu": 0.0, "linear": 0.0}
MAX_FILTERS = 100
FINGERPRINT_FIELDS = ("kind", "encoder_hidden", "decoder_hidden",
                      "latent_dim", "code_activation")


def to_image(a: ml_collections.ConfigDict):
  """Decoder outputs to pixels: sigmoid of logits (bce) or as they are."""
  return jax.nn.sigmoid if a.likelihood == "bce" else (lambda y: y)


def inputs(batch: dict) -> jax.Array:
  """What the encoder reads: the corrupted image when denoising."""
  return batch.get("corrupted", batch["image"])


def filter_images(kernel: np.ndarray, image_shape) -> np.ndarray:
  """`[D, K]` input weights -> `[K', H, W, C]` images, 0 at gray (0.5)."""
  w = np.asarray(kernel, np.float32).T[:MAX_FILTERS]
  scale = np.maximum(np.max(np.abs(w), axis=1, keepdims=True), 1e-12)
  return (0.5 + 0.5 * w / scale).reshape((-1,) + tuple(image_shape))


def _penalty(a):
  return functools.partial(
      sparsity.sparsity_penalty, kind=a.sparsity, weight=a.sparsity_weight,
      target=a.sparsity_target, threshold=ACTIVE_THRESHOLDS[a.code_activation])


def init(key, batch, *, model, tx):
  param_key, run_key = jax.random.split(key)
  params = model.init(param_key, batch["image"][:1])["params"]
  return state_lib.create(run_key, params, tx)


def train_step(state, batch, *, model, tx, a, axis_name=None):
  """Reconstruction of the clean `image` from `inputs(batch)`, plus the
  sparsity penalty."""
  x, cls = batch["image"], type(model)

  def loss_fn(params):
    code = model.apply({"params": params}, inputs(batch), method=cls.encode)
    out = model.apply({"params": params}, code, method=cls.decode)
    loss, metrics = reconstruction.reconstruction_loss(x, out,
                                                       kind=a.likelihood)
    if a.sparsity != "none":
      weighted, sparse_metrics = _penalty(a)(code, axis_name=axis_name)
      loss = loss + weighted
      metrics = dict(metrics, **sparse_metrics, loss=loss)
    return loss, metrics

  (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params)
  return step_lib.apply_gradients(state, grads, metrics, tx,
                                  axis_name=axis_name)


@functools.partial(jax.jit, static_argnames=("model", "likelihood",
                                             "denoising"))
def eval_batch(params, x, x_in, *, model, likelihood: str, denoising: bool):
  cls = type(model)
  image = jax.nn.sigmoid if likelihood == "bce" else (lambda y: y)
  reconstruct = lambda inp: model.apply(
      {"params": params}, model.apply({"params": params}, inp,
                                      method=cls.encode), method=cls.decode)
  out = reconstruct(x_in)
  per_example = (reconstruction.bce_with_logits(x, out)
                 if likelihood == "bce" else
                 reconstruction.squared_error(x, out))
  result = dict(rec=per_example,
                mse=reconstruction.mse_per_pixel(x, image(out)),
                code=model.apply({"params": params}, x, method=cls.encode))
  if denoising:
    result["mse_clean_input"] = reconstruction.mse_per_pixel(
        x, image(reconstruct(x)))
  return result


def test_terms(params, test, *, model, a, batch_size: int) -> tuple[dict,
                                                                    dict]:
  """`loss_rec`, `mse`, `mse_clean_input` (denoising), the sparsity
  statistics (sparse) of the test split, and the per-example terms."""
  x = test["image"]
  denoising = "corrupted" in test
  out = map_batches(
      functools.partial(eval_batch, params, model=model,
                        likelihood=a.likelihood, denoising=denoising),
      x, np.asarray(inputs(test)), batch_size=batch_size)
  metrics = {"loss_rec": float(np.mean(out["rec"])),
             "mse": float(np.mean(out["mse"]))}
  if denoising:
    metrics["mse_clean_input"] = float(np.mean(out["mse_clean_input"]))
  if a.sparsity != "none":
    _, stats = _penalty(a)(jnp.asarray(out["code"]))
    metrics.update({k: float(v) for k, v in stats.items()})
  return metrics, out


def first_layer_kernel(params, a):
  """`[D, K]` weights from the pixels to the code (tied linear, or an MLP
  without hidden layers), else None."""
  if a.kind == "linear_tied":
    return params["kernel"]
  if a.kind == "mlp" and not tuple(a.encoder_hidden):
    return params["encoder"]["head"]["kernel"]   # one layer from pixels
  return None


def evaluate(state, data, key, *, full: bool, model, config):
  """Test `loss_rec`, `mse` (per pixel, clean targets, from corrupted inputs
  when denoising), `mse_clean_input` (denoising), `loss_sparsity`,
  `mean_activation`, `active_fraction` (sparse; codes of clean images,
  statistics over the whole set); with `full` the probes and figures."""
  del key  # Deterministic.
  a, params = config.autoencoder, state.params
  test = data.split("test")
  metrics, out = test_terms(params, test, model=model, a=a,
                            batch_size=config.eval.batch_size)
  if not full:
    return metrics, {}
  cls, x = type(model), test["image"]
  encode = lambda xx: model.apply({"params": params}, xx, method=cls.encode)
  metrics.update(probes.probe_encoder(
      encode, out["code"], data, label_counts=a.probe_labels,
      batch_size=config.eval.batch_size, seed=config.seed))
  decode = jax.jit(lambda z: to_image(a)(model.apply(
      {"params": params}, z, method=cls.decode)))
  outputs = latents.latent_outputs(images=x, labels=labels_of(test),
                                   codes=out["code"], decode=decode)
  if "corrupted" in test:
    n = latents.NUM_SHOWN
    noisy = np.asarray(test["corrupted"][:n])
    outputs["denoising"] = np.concatenate(
        [noisy, np.asarray(decode(jax.jit(encode)(noisy))), x[:n]])
  kernel = first_layer_kernel(params, a)
  if kernel is not None:
    outputs["filters"] = filter_images(kernel, x.shape[1:])
  return metrics, outputs


def figures(outputs: dict, outdir: str, *, corruption: str = "") -> dict:
  figs = viz_latents.latent_figures(outputs, outdir)
  path = lambda name: os.path.join(outdir, f"{name}.png")
  if "denoising" in outputs:
    figs["denoising"] = viz.image_grid(
        outputs["denoising"], path("denoising"), ncols=latents.NUM_SHOWN,
        title=f"{corruption}: corrupted / denoised / clean")
  if "filters" in outputs:
    figs["weights"] = viz.image_grid(outputs["filters"], path("weights"),
                                     title="Encoder weights (gray = 0)")
  return figs


def corruption_name(config) -> str:
  """"masking 0.3", say: the denoising figure's title ('' without noise)."""
  d = config.data
  return (f"{d.corruption} {d.corruption_level:g}"
          if d.corruption != "none" else "")


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """The autoencoder method for the images of `spec`."""
  a = config.autoencoder
  model = ae_models.from_config(a, spec.image_shape)
  tx = optim.build(config)
  return Method(
      init=step_lib.jit_once(functools.partial(init, model=model, tx=tx)),
      phases=(Phase("train", config.train.num_steps, functools.partial(
          train_step, model=model, tx=tx, a=a)),),
      evaluate=functools.partial(evaluate, model=model, config=config),
      figures=functools.partial(figures, corruption=corruption_name(config)),
      report_notes=probes.probe_notes,
      fingerprint=dict(method="autoencoder", **model_fingerprint(
          a, FINGERPRINT_FIELDS, spec)))
