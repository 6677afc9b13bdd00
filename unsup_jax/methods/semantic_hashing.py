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

Config (`config.hashing`): bits, code_mode, noise_std, k (of precision@k).
"""

import functools
import os

import jax
import ml_collections
import numpy as np

from unsup_jax.data import iterators, sources
from unsup_jax.errors import UserError
from unsup_jax.eval import retrieval
from unsup_jax.eval.batched import map_batches
from unsup_jax.losses import reconstruction
from unsup_jax.methods import base, common
from unsup_jax.models import hashing
from unsup_jax.models.hashing import HashingAutoencoder
from unsup_jax.ops import distributions
from unsup_jax.training import optim, state as state_lib, step as step_lib
from unsup_jax.viz import figures as viz
from unsup_jax.viz import retrieval as viz_retrieval

DATABASE_BINARIZATION_SEED = 4321  # database bits when data.binarize != none
LSH_STREAM = 7                     # fold_in(key(seed), .) keys the LSH planes
NUM_QUERIES_SHOWN = 8
NUM_RETRIEVED_SHOWN = 10
SATURATION = 0.1                   # a code unit within this of 0 or 1 is "binary"


def _check(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """The `config.hashing` section, checked."""
  if "hashing" not in config:
    raise UserError("semantic_hashing needs config.hashing (bits, code_mode, "
                    "noise_std, k); see experiments/semantic_hashing_mnist.py")
  h = config.hashing
  if h.code_mode not in hashing.CODE_MODES:
    raise UserError(f"config.hashing.code_mode {h.code_mode!r} is unknown; "
                    f"choose one of {', '.join(hashing.CODE_MODES)}")
  for name in ("bits", "k"):
    if isinstance(h[name], bool) or not isinstance(h[name], int) or h[name] < 1:
      raise UserError(f"config.hashing.{name} must be a positive integer, "
                      f"got {h[name]!r}")
  if h.noise_std < 0:
    raise UserError(f"config.hashing.noise_std must be >= 0, got "
                    f"{h.noise_std!r}")
  common.check_likelihood(config.model.likelihood, ("bce",))
  return h


def _database(config: ml_collections.ConfigDict):
  """The training images and labels: the database the test queries search."""
  data = sources.load(config.data.name, data_dir=config.data.data_dir or None,
                      num_train=config.data.num_train or None,
                      num_test=config.data.num_test or None)
  images = data.train_images
  if config.data.binarize != "none":
    images = iterators.binarize_static(images, DATABASE_BINARIZATION_SEED)
  if np.all(data.train_labels < 0):
    raise UserError(f"semantic_hashing is evaluated by label retrieval; "
                    f"dataset {config.data.name!r} has no labels")
  if config.hashing.k > len(images):
    raise UserError(f"config.hashing.k={config.hashing.k} exceeds the "
                    f"{len(images)} database (training) images")
  max_bits = min(len(images), int(np.prod(images.shape[1:])))
  if config.hashing.bits > max_bits:
    raise UserError(f"config.hashing.bits={config.hashing.bits} exceeds "
                    f"{max_bits}, the most principal components (PCA baseline)"
                    " of these training images")
  return images, np.asarray(data.train_labels)


def build(config: ml_collections.ConfigDict,
          image_shape: tuple[int, int, int]) -> base.Method:
  """The semantic hashing method for images of `image_shape`."""
  h = _check(config)
  m = config.model
  db_images, db_labels = _database(config)
  model = HashingAutoencoder(kind=m.kind, encoder_hidden=tuple(m.encoder_hidden),
                             decoder_hidden=tuple(m.decoder_hidden),
                             bits=h.bits, image_shape=image_shape)
  tx = optim.build(config)
  apply = lambda params, *a, method: model.apply({"params": params}, *a,
                                                 method=method)
  k = h.k

  @jax.jit
  def init(key, batch):
    param_key, run_key = jax.random.split(key)
    params = model.init(param_key, batch["image"][:1])["params"]
    return state_lib.create(run_key, params, tx)

  def train_step(state, batch, *, axis_name=None):
    x = batch["image"]
    keys = distributions.per_example_keys(
        step_lib.step_key(state), x.shape[0],
        step_lib.example_offset(x.shape[0], axis_name))

    def loss_fn(params):
      logits = apply(params, x, method=HashingAutoencoder.code_logits)
      code = hashing.train_code(logits, keys, mode=h.code_mode,
                                noise_std=h.noise_std)
      out = apply(params, code, method=HashingAutoencoder.decode)
      loss, metrics = reconstruction.reconstruction_loss(x, out, kind="bce")
      p = jax.nn.sigmoid(logits)
      saturated = (p < SATURATION) | (p > 1 - SATURATION)
      return loss, dict(metrics, code_saturation=saturated.mean(),
                        code_bit_balance=(logits > 0).mean())

    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params)
    return step_lib.apply_gradients(state, grads, metrics, tx,
                                    axis_name=axis_name)

  @jax.jit
  def eval_batch(params, x):
    logits = apply(params, x, method=HashingAutoencoder.code_logits)
    bits = hashing.binary_codes(logits)
    out = apply(params, bits.astype(x.dtype), method=HashingAutoencoder.decode)
    return dict(bits=bits, prob=jax.nn.sigmoid(logits),
                rec=reconstruction.bce_with_logits(x, out),
                mse=reconstruction.mse_per_pixel(x, jax.nn.sigmoid(out)))

  def encode_all(params, images):
    return map_batches(functools.partial(eval_batch, params), images,
                       batch_size=config.eval.batch_size)

  cache = {}

  def baselines(images):
    """`{"pca", "lsh"}: (database codes, query codes)` of as many bits.

    They do not depend on the state: computed once per set of query images
    (the PCA's SVD is the slow part).
    """
    if "queries" in cache and np.array_equal(cache["queries"], images):
      return cache["codes"]
    lsh_key = jax.random.fold_in(jax.random.key(config.seed), LSH_STREAM)
    both = np.concatenate([db_images, images])
    pca = retrieval.pca_hash(db_images, both, h.bits)
    lsh = retrieval.lsh_hash(lsh_key, db_images, both, h.bits)
    n = len(db_images)
    cache.update(queries=np.array(images), codes={
        "pca": (pca[:n], pca[n:]), "lsh": (lsh[:n], lsh[n:])})
    return cache["codes"]

  def distances(state, images):
    """`{code type: [Q, N] Hamming distances}` and the test outputs."""
    out = encode_all(state.params, images)
    db_bits = encode_all(state.params, db_images)["bits"]
    dists = {"learned": retrieval.hamming_distances(out["bits"], db_bits)}
    return dists, out

  def evaluate(state, images, labels, key, *, full=True):
    del key
    dists, out = distances(state, images)
    if full:
      for name, (db, q) in baselines(images).items():
        dists[name] = retrieval.hamming_distances(q, db)
    metrics = {"loss_rec": float(np.mean(out["rec"])),
               "mse": float(np.mean(out["mse"])),
               "bit_balance": float(np.mean(out["bits"])),
               "unique_codes": int(len(np.unique(out["bits"], axis=0)))}
    for name, dist in dists.items():
      prefix = "" if name == "learned" else f"{name}_"
      metrics[f"{prefix}precision_at_{k}"] = retrieval.precision_at_k(
          dist, labels, db_labels, k)
      metrics[f"{prefix}map"] = retrieval.mean_average_precision(
          dist, labels, db_labels)
    return metrics

  def figures(state, images, labels, key, outdir):
    del key
    path = lambda name: os.path.join(outdir, f"{name}.png")
    dists, out = distances(state, images)
    for name, (db, q) in baselines(images).items():
      dists[name] = retrieval.hamming_distances(q, db)
    decode = jax.jit(lambda c: jax.nn.sigmoid(apply(
        state.params, c, method=HashingAutoencoder.decode)))
    codes = out["bits"].astype(np.float32)
    curves = {}
    for name, dist in dists.items():
      curve = retrieval.precision_recall_curve(dist, labels, db_labels,
                                               max_radius=h.bits)
      curves[f"{name} ({h.bits} bits)"] = (curve.recall, curve.precision)
    shown = min(NUM_QUERIES_SHOWN, len(images))
    order = np.argsort(dists["learned"][:shown], axis=1,
                       kind="stable")[:, :NUM_RETRIEVED_SHOWN]
    n = common.NUM_SHOWN
    return {
        "reconstructions": viz.reconstructions(
            images[:n], np.asarray(decode(codes[:n])), path("reconstructions"),
            title="Reconstructions from the binary codes"),
        "interpolations": viz.interpolations(
            common.interpolation_grid(codes, decode), path("interpolations"),
            title="Interpolations between binary codes"),
        "latent_space": viz.latent_scatter(
            out["prob"], labels, path("latent_space"),
            title="Code probabilities sigmoid(logits)"),
        "precision_recall": viz_retrieval.precision_recall_curves(
            curves, path("precision_recall")),
        "retrieval": viz_retrieval.retrieval_examples(
            images[:shown], db_images[order],
            db_labels[order] == np.asarray(labels[:shown])[:, None],
            path("retrieval")),
    }

  def report_notes(results):
    rows = [f"| codes | precision@{k} | mAP |", "| --- | ---: | ---: |"]
    for name, prefix in (("semantic hashing", ""), ("PCA hashing", "pca_"),
                         ("LSH (random hyperplanes)", "lsh_")):
      p, mean_ap = (results.get(f"test_{prefix}precision_at_{k}"),
                    results.get(f"test_{prefix}map"))
      if p is not None and mean_ap is not None:
        rows.append(f"| {name} | {p:.4f} | {mean_ap:.4f} |")
    return [f"Retrieval of the {len(db_images)} training images by the test "
            f"images, Hamming ranking of {h.bits}-bit codes (ties by index), "
            "relevant = same label:\n\n" + "\n".join(rows)]

  fingerprint = {"method": "semantic_hashing", "model": m.to_dict(),
                 "hashing": h.to_dict(), "image_shape": list(image_shape)}
  return base.Method(init, train_step, evaluate, figures, fingerprint,
                     report_notes=report_notes)
