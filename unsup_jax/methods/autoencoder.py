"""Deterministic autoencoders: plain, sparse, denoising, tied linear, conv.

Hinton & Salakhutdinov (2006), Science 313: reconstruct the input through a
code. `model.likelihood` picks the reconstruction loss: "bce" (pixels as
Bernoulli logits) or "mse" (squared error, decoder output used directly).
Maths: `losses/reconstruction.py`. Variants, all set in the config:

* sparse (Ng 2011; Lee et al. 2008): `loss.sparsity` in l1 | l2 | kl adds
  `loss.sparsity_weight` times a penalty on the code (`losses/sparsity.py`;
  kl needs `model.code_activation = "sigmoid"`).
* denoising (Vincent et al. 2008, 2010): `data.corruption` in gaussian |
  masking | salt_and_pepper at `data.corruption_level` corrupts the input,
  the loss scores the reconstruction of the clean image
  (`ops/corruption.py`); noise is keyed per example by its global index.
* tied linear (Baldi & Hornik 1989): `model.kind = "linear_tied"`; with the
  mse loss it learns the principal subspace of the data.
"""

import functools
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from unsup_jax.errors import UserError
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import reconstruction, sparsity
from unsup_jax.methods import base, common
from unsup_jax.models import autoencoder as ae_models
from unsup_jax.ops import corruption, distributions
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.viz import figures as viz

LOSSES = ("bce", "mse")
KINDS = ("mlp", "conv", "linear_tied")
# `active_fraction`: units whose mean |code| over the data exceeds this, i.e.
# units that are not dead (a sparse sigmoid unit with target 0.05 is alive).
ACTIVE_THRESHOLDS = {"sigmoid": 0.01, "relu": 0.0, "linear": 0.0}
# Test images are corrupted with this seed: every evaluation sees the same.
EVAL_CORRUPTION_SEED = 20080705
MAX_FILTERS = 100


def check_config(config: ml_collections.ConfigDict) -> None:
  """Raises UserError for settings this method cannot run."""
  m, loss, data = config.model, config.loss, config.data
  common.check_likelihood(m.likelihood, LOSSES)
  if m.kind not in KINDS:
    raise UserError(f"config.model.kind {m.kind!r} is not supported by the "
                    f"autoencoder; choose one of {', '.join(KINDS)}")
  if m.code_activation not in ae_models.CODE_ACTIVATIONS:
    raise UserError(f"config.model.code_activation {m.code_activation!r} is "
                    f"unknown; choose one of "
                    f"{', '.join(ae_models.CODE_ACTIVATIONS)}")
  if loss.sparsity not in sparsity.KINDS:
    raise UserError(f"config.loss.sparsity {loss.sparsity!r} is unknown; "
                    f"choose one of {', '.join(sparsity.KINDS)}")
  if loss.sparsity_weight < 0:
    raise UserError("config.loss.sparsity_weight must be >= 0, got "
                    f"{loss.sparsity_weight!r}")
  if loss.sparsity == "kl":
    if not 0 < loss.sparsity_target < 1:
      raise UserError("config.loss.sparsity_target must be in (0, 1), got "
                      f"{loss.sparsity_target!r}")
    if m.code_activation != "sigmoid":
      raise UserError("config.loss.sparsity='kl' needs codes in (0, 1): set "
                      "config.model.code_activation='sigmoid'")
  if data.corruption not in corruption.KINDS:
    raise UserError(f"config.data.corruption {data.corruption!r} is unknown; "
                    f"choose one of {', '.join(corruption.KINDS)}")
  level = data.corruption_level
  if level < 0 or (data.corruption in ("masking", "salt_and_pepper") and
                   level > 1):
    raise UserError(f"config.data.corruption_level {level!r} is out of range "
                    f"for {data.corruption!r} (std >= 0, fraction in [0, 1])")


def make_model(m: ml_collections.ConfigDict, image_shape):
  """The Flax module for `config.model`."""
  if m.kind == "linear_tied":
    return ae_models.TiedLinearAutoencoder(
        latent_dim=m.latent_dim, image_shape=image_shape,
        code_activation=m.code_activation)
  return ae_models.Autoencoder(
      kind=m.kind, encoder_hidden=tuple(m.encoder_hidden),
      decoder_hidden=tuple(m.decoder_hidden), latent_dim=m.latent_dim,
      image_shape=image_shape, code_activation=m.code_activation)


def filter_images(kernel: np.ndarray, image_shape) -> np.ndarray:
  """`[D, K]` input weights -> `[K', H, W, C]` images, 0 at gray (0.5)."""
  w = np.asarray(kernel, np.float32).T[:MAX_FILTERS]
  scale = np.maximum(np.max(np.abs(w), axis=1, keepdims=True), 1e-12)
  return (0.5 + 0.5 * w / scale).reshape((-1,) + tuple(image_shape))


def build(config: ml_collections.ConfigDict,
          image_shape: tuple[int, int, int]) -> base.Method:
  """The autoencoder method for images of `image_shape`."""
  check_config(config)
  m, loss_c, data_c = config.model, config.loss, config.data
  model = make_model(m, image_shape)
  cls = type(model)
  tx = optim.build(config)
  apply = lambda params, *a, method: model.apply({"params": params}, *a,
                                                 method=method)
  to_image = jax.nn.sigmoid if m.likelihood == "bce" else (lambda y: y)
  sparse = loss_c.sparsity != "none"
  denoising = data_c.corruption != "none"
  corrupt = functools.partial(corruption.corrupt_examples,
                              kind=data_c.corruption,
                              level=data_c.corruption_level)
  penalty = functools.partial(
      sparsity.sparsity_penalty, kind=loss_c.sparsity,
      weight=loss_c.sparsity_weight, target=loss_c.sparsity_target,
      threshold=ACTIVE_THRESHOLDS[m.code_activation])
  eval_noise_key = jax.random.key(EVAL_CORRUPTION_SEED)

  @jax.jit
  def init(key, batch):
    param_key, run_key = jax.random.split(key)
    params = model.init(param_key, batch["image"][:1])["params"]
    return state_lib.create(run_key, params, tx)

  def loss_fn(params, x_in, x, axis_name):
    """Reconstruction of the clean `x` from `x_in`, plus the penalty."""
    code = apply(params, x_in, method=cls.encode)
    out = apply(params, code, method=cls.decode)
    loss, metrics = reconstruction.reconstruction_loss(x, out,
                                                       kind=m.likelihood)
    if sparse:
      weighted, sparse_metrics = penalty(code, axis_name=axis_name)
      loss = loss + weighted
      metrics = dict(metrics, **sparse_metrics, loss=loss)
    return loss, metrics

  def train_step(state, batch, *, axis_name=None):
    x = batch["image"]
    x_in = x
    if denoising:
      keys = distributions.per_example_keys(
          step_lib.step_key(state), x.shape[0],
          step_lib.example_offset(x.shape[0], axis_name))
      x_in = corrupt(keys, x)
    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params, x_in, x, axis_name)
    return step_lib.apply_gradients(state, grads, metrics, tx,
                                    axis_name=axis_name)

  def test_inputs(x, index):
    """Test images `[B, ...]` as fed to the model: corrupted with the fixed
    key of their position `index` `[B]` in the test set."""
    if not denoising:
      return x
    keys = jax.vmap(lambda i: jax.random.fold_in(eval_noise_key, i))(index)
    return corrupt(keys, x)

  def reconstruct(params, x_in):
    code = apply(params, x_in, method=cls.encode)
    return code, apply(params, code, method=cls.decode)

  @jax.jit
  def eval_batch(params, x, index):
    code, out = reconstruct(params, test_inputs(x, index))
    per_example = (reconstruction.bce_with_logits(x, out)
                   if m.likelihood == "bce" else
                   reconstruction.squared_error(x, out))
    result = dict(rec=per_example,
                  mse=reconstruction.mse_per_pixel(x, to_image(out)))
    if denoising:
      code, out = reconstruct(params, x)
      result["mse_clean_input"] = reconstruction.mse_per_pixel(
          x, to_image(out))
    if sparse:
      result["code"] = code                 # codes of the clean images
    return result

  def evaluate(state, images, labels, key, *, full=True):
    """Test-set `loss_rec`, `mse` (per pixel, clean targets, from corrupted
    inputs when denoising), `mse_clean_input` (denoising), `loss_sparsity`,
    `mean_activation`, `active_fraction` (sparse; codes of clean images,
    statistics over the whole set)."""
    del key
    index = np.arange(len(images), dtype=np.int32)
    out = map_batches(functools.partial(eval_batch, state.params), images,
                      index, batch_size=config.eval.batch_size)
    metrics = {"loss_rec": float(np.mean(out["rec"])),
               "mse": float(np.mean(out["mse"]))}
    if denoising:
      metrics["mse_clean_input"] = float(np.mean(out["mse_clean_input"]))
    if sparse:
      _, stats = penalty(jnp.asarray(out["code"]))
      metrics.update({k: float(v) for k, v in stats.items()})
    if full:   # codes of clean images, as a downstream user would take them
      encode = lambda x: apply(state.params, x, method=cls.encode)
      codes = map_batches(jax.jit(encode), images,
                          batch_size=config.eval.batch_size)
      metrics.update(common.probe_codes(config, encode, codes, images, labels))
    return metrics

  def figures(state, images, labels, key, outdir):
    del key
    params = state.params
    encode = jax.jit(lambda x: apply(params, x, method=cls.encode))
    decode = jax.jit(lambda z: to_image(apply(params, z, method=cls.decode)))
    codes = map_batches(encode, images, batch_size=config.eval.batch_size)
    figs = common.latent_figures(outdir, images=images, labels=labels,
                                 codes=codes, decode=decode)
    path = lambda name: os.path.join(outdir, f"{name}.png")
    if denoising:
      clean = images[:common.NUM_SHOWN]
      noisy = np.asarray(test_inputs(clean, jnp.arange(len(clean))))
      denoised = np.asarray(decode(encode(noisy)))
      figs["denoising"] = viz.image_grid(
          np.concatenate([noisy, denoised, clean]), path("denoising"),
          ncols=len(clean), title=f"{data_c.corruption} "
          f"{data_c.corruption_level:g}: corrupted / denoised / clean")
    if m.kind == "linear_tied":
      kernel = params["kernel"]
    elif m.kind == "mlp" and not tuple(m.encoder_hidden):
      kernel = params["encoder"]["head"]["kernel"]   # one layer from pixels
    else:
      kernel = None
    if kernel is not None:
      figs["weights"] = viz.image_grid(
          filter_images(kernel, image_shape), path("weights"),
          title="Encoder weights (gray = 0)")
    return figs

  fingerprint = dict(method="autoencoder", **common.model_fingerprint(
      m, ("kind", "encoder_hidden", "decoder_hidden", "latent_dim",
          "code_activation"), image_shape))
  return base.Method(init, train_step, evaluate, figures, fingerprint,
                     report_notes=common.probe_notes)
