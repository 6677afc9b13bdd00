"""Semantic hashing: an autoencoder with a binary code, used for retrieval.

Salakhutdinov & Hinton (2009), "Semantic hashing", Int. J. Approximate
Reasoning 50(7). The autoencoder reconstructs gray pixels (binary
cross-entropy on logits) through a code layer of `hashing.bits` logistic units
pushed to 0/1 by Gaussian noise on their logits (`code_mode="noisy_sigmoid"`,
`noise_std` 4 as in the paper) or by a straight-through threshold. Test
images are then queries against the training images as a database, ranked by
the Hamming distance of their codes; a retrieved image is relevant when it
has the query's label. PCA hashing and random-hyperplane LSH (Charikar 2002)
with as many bits are the baselines. Maths: `models/hashing.py`,
`eval/retrieval.py`.

Config (`configs/semantic_hashing.py`, section `hashing`): the networks,
bits, code_mode, noise_std, k (of precision@k).
"""

import functools
import os

import jax
import ml_collections
import numpy as np

from unsup_jax.errors import UserError
from unsup_jax.eval import retrieval
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import reconstruction
from unsup_jax.eval import latents
from unsup_jax.models import hashing
from unsup_jax.models.hashing import HashingAutoencoder
from unsup_jax.ops import distributions
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.training.contract import Method, Phase
from unsup_jax.viz import figures as viz
from unsup_jax.viz import retrieval as viz_retrieval

LSH_STREAM = 7                     # fold_in(key(seed), .) keys the LSH planes
NUM_QUERIES_SHOWN = 8
NUM_RETRIEVED_SHOWN = 10
SATURATION = 0.1                   # a code unit within this of 0 or 1 is "binary"


def database(config: ml_collections.ConfigDict, data):
  """The training images and labels of the evaluation view: the database
  the test queries search."""
  train = data.split("train")
  if "label" not in train:
    raise UserError(f"semantic_hashing is evaluated by label retrieval; "
                    f"dataset {config.data.name!r} has no labels")
  images, labels = train["image"], np.asarray(train["label"])
  if config.hashing.k > len(images):
    raise UserError(f"config.hashing.k={config.hashing.k} exceeds the "
                    f"{len(images)} database (training) images")
  max_bits = min(len(images), int(np.prod(images.shape[1:])))
  if config.hashing.bits > max_bits:
    raise UserError(f"config.hashing.bits={config.hashing.bits} exceeds "
                    f"{max_bits}, the most principal components (PCA baseline)"
                    " of these training images")
  return images, labels


def network(h, image_shape) -> HashingAutoencoder:
  """The autoencoder of section `h` (`config.hashing`) for `image_shape`."""
  return HashingAutoencoder(
      kind=h.kind, encoder_hidden=tuple(h.encoder_hidden),
      decoder_hidden=tuple(h.decoder_hidden), bits=h.bits,
      image_shape=tuple(image_shape))


def _apply(model, params, *args, method):
  return model.apply({"params": params}, *args, method=method)


def init(key, batch, *, model: HashingAutoencoder, tx):
  param_key, run_key = jax.random.split(key)
  params = model.init(param_key, batch["image"][:1])["params"]
  return state_lib.create(run_key, params, tx)


def train_step(state, batch, *, model: HashingAutoencoder, tx, h,
               axis_name=None):
  """Binary cross-entropy of the reconstruction of `batch["image"]` from
  its code, binarised by `hashing.code_mode` with per-example noise."""
  x = batch["image"]
  keys = distributions.per_example_keys(
      step_lib.step_key(state), x.shape[0],
      step_lib.example_offset(x.shape[0], axis_name))

  def loss_fn(params):
    logits = _apply(model, params, x, method=HashingAutoencoder.code_logits)
    code = hashing.train_code(logits, keys, mode=h.code_mode,
                              noise_std=h.noise_std)
    out = _apply(model, params, code, method=HashingAutoencoder.decode)
    loss, metrics = reconstruction.reconstruction_loss(x, out, kind="bce")
    p = jax.nn.sigmoid(logits)
    saturated = (p < SATURATION) | (p > 1 - SATURATION)
    return loss, dict(metrics, code_saturation=saturated.mean(),
                      code_bit_balance=(logits > 0).mean())

  (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params)
  return step_lib.apply_gradients(state, grads, metrics, tx,
                                  axis_name=axis_name)


@functools.partial(jax.jit, static_argnames="model")
def eval_batch(params, x, *, model: HashingAutoencoder):
  """Bits, code probabilities, reconstruction loss and MSE of `x`."""
  logits = _apply(model, params, x, method=HashingAutoencoder.code_logits)
  bits = hashing.binary_codes(logits)
  out = _apply(model, params, bits.astype(x.dtype),
               method=HashingAutoencoder.decode)
  return dict(bits=bits, prob=jax.nn.sigmoid(logits),
              rec=reconstruction.bce_with_logits(x, out),
              mse=reconstruction.mse_per_pixel(x, jax.nn.sigmoid(out)))


def baseline_codes(db_images, images, *, bits: int, seed: int) -> dict:
  """`{"pca", "lsh"}: (database codes, query codes)` of as many bits: PCA
  hashing and random-hyperplane LSH (keyed by `seed`)."""
  lsh_key = jax.random.fold_in(jax.random.key(seed), LSH_STREAM)
  both = np.concatenate([db_images, images])
  pca = retrieval.pca_hash(db_images, both, bits)
  lsh = retrieval.lsh_hash(lsh_key, db_images, both, bits)
  n = len(db_images)
  return {"pca": (pca[:n], pca[n:]), "lsh": (lsh[:n], lsh[n:])}


def retrieval_metrics(dists: dict, labels, db_labels, *, k: int) -> dict:
  """precision@k and mAP of each ranking `{name: [Q, N] distances}` (the
  learned codes' unprefixed)."""
  metrics = {}
  for name, dist in dists.items():
    prefix = "" if name == "learned" else f"{name}_"
    metrics[f"{prefix}precision_at_{k}"] = retrieval.precision_at_k(
        dist, labels, db_labels, k)
    metrics[f"{prefix}map"] = retrieval.mean_average_precision(
        dist, labels, db_labels)
  return metrics


def evaluate(state, data, key, *, full: bool, model: HashingAutoencoder,
             config):
  """Reconstruction, code statistics and retrieval of the training images
  by the test images (Hamming ranking), beside PCA hashing and LSH with
  `full`; with `full` also the figures' arrays."""
  del key
  h = config.hashing
  db_images, db_labels = database(config, data)
  test = data.split("test")
  if "label" not in test:
    raise UserError("semantic_hashing is evaluated by label retrieval; "
                    "the test split has no labels")
  images, labels = test["image"], np.asarray(test["label"])
  encode_all = lambda x: map_batches(
      functools.partial(eval_batch, state.params, model=model), x,
      batch_size=config.eval.batch_size)
  out = encode_all(images)
  db_bits = encode_all(db_images)["bits"]
  dists = {"learned": retrieval.hamming_distances(out["bits"], db_bits)}
  if full:
    for name, (db, q) in baseline_codes(db_images, images, bits=h.bits,
                                        seed=config.seed).items():
      dists[name] = retrieval.hamming_distances(q, db)
  metrics = {"loss_rec": float(np.mean(out["rec"])),
             "mse": float(np.mean(out["mse"])),
             "bit_balance": float(np.mean(out["bits"])),
             "unique_codes": int(len(np.unique(out["bits"], axis=0)))}
  metrics.update(retrieval_metrics(dists, labels, db_labels, k=h.k))
  if not full:
    return metrics, {}
  return metrics, figure_outputs(state.params, out, dists, images, labels,
                                 db_images, db_labels, model=model, h=h)


def figure_outputs(params, out, dists, images, labels, db_images, db_labels,
                   *, model: HashingAutoencoder, h) -> dict:
  """The arrays the figures show: reconstructions and interpolations from
  the binary codes, code probabilities, precision-recall curves of every
  ranking and the retrieved images of the first queries."""
  decode = jax.jit(lambda c: jax.nn.sigmoid(_apply(
      model, params, c, method=HashingAutoencoder.decode)))
  codes = out["bits"].astype(np.float32)
  curves = {}
  for name, dist in dists.items():
    curve = retrieval.precision_recall_curve(dist, labels, db_labels,
                                             max_radius=h.bits)
    curves[f"{name} ({h.bits} bits)"] = (curve.recall, curve.precision)
  shown = min(NUM_QUERIES_SHOWN, len(images))
  order = np.argsort(dists["learned"][:shown], axis=1,
                     kind="stable")[:, :NUM_RETRIEVED_SHOWN]
  n = latents.NUM_SHOWN
  return {
      "shown": images[:n], "recons": np.asarray(decode(codes[:n])),
      "interpolations": latents.interpolation_grid(codes, decode),
      "prob": out["prob"], "labels": labels, "curves": curves,
      "queries": images[:shown], "retrieved": db_images[order],
      "relevant": db_labels[order] == labels[:shown, None],
      "database_size": len(db_images)}


def figures(outputs, outdir):
  path = lambda name: os.path.join(outdir, f"{name}.png")
  return {
      "reconstructions": viz.reconstructions(
          outputs["shown"], outputs["recons"], path("reconstructions"),
          title="Reconstructions from the binary codes"),
      "interpolations": viz.interpolations(
          outputs["interpolations"], path("interpolations"),
          title="Interpolations between binary codes"),
      "latent_space": viz.latent_scatter(
          outputs["prob"], outputs["labels"], path("latent_space"),
          title="Code probabilities sigmoid(logits)"),
      "precision_recall": viz_retrieval.precision_recall_curves(
          outputs["curves"], path("precision_recall")),
      "retrieval": viz_retrieval.retrieval_examples(
          outputs["queries"], outputs["retrieved"], outputs["relevant"],
          path("retrieval")),
  }


def report_notes(results, outputs, *, k: int, bits: int):
  del outputs
  rows = [f"| codes | precision@{k} | mAP |", "| --- | ---: | ---: |"]
  for name, prefix in (("semantic hashing", ""), ("PCA hashing", "pca_"),
                       ("LSH (random hyperplanes)", "lsh_")):
    p, mean_ap = (results.get(f"test_{prefix}precision_at_{k}"),
                  results.get(f"test_{prefix}map"))
    if p is not None and mean_ap is not None:
      rows.append(f"| {name} | {p:.4f} | {mean_ap:.4f} |")
  return [f"Retrieval of the training images by the test images, Hamming "
          f"ranking of {bits}-bit codes (ties by index), relevant = same "
          "label:\n\n" + "\n".join(rows)]


def build(config: ml_collections.ConfigDict, spec) -> Method:
  """The semantic hashing method for the images of `spec`."""
  h = config.hashing
  model = network(h, spec.image_shape)
  tx = optim.build(config)
  return Method(
      init=step_lib.jit_once(functools.partial(init, model=model, tx=tx)),
      phases=(Phase("train", config.train.num_steps, functools.partial(
          train_step, model=model, tx=tx, h=h)),),
      evaluate=functools.partial(evaluate, model=model, config=config),
      figures=figures,
      report_notes=functools.partial(report_notes, k=h.k, bits=h.bits),
      fingerprint={"method": "semantic_hashing", "hashing": h.to_dict(),
                   "image_shape": list(spec.image_shape)})
