"""Config of semi-supervised learning
(`methods/semi_supervised/semi_supervised.py`): sections `semi` (the model and
M2's networks) and `m1` (M1's VAE, the fields of `configs/vae.py` plus its
`num_steps`).

The data are two streams drawn in one step: `data.streams.labelled` (a
class-balanced subset of `size` training examples, fixed by `config.seed`;
`subset: all` for every label) and `data.streams.unlabelled` (the rest of
the training split, or `size` of it). Defaults follow Kingma et al. (2014)
on MNIST: M2 with one hidden layer of 500 softplus units per network, a
50-dimensional z, alpha = 0.1 N; M1 a 784-600-600-50 VAE. Batches: 100
labelled (all of them at 100 labels) and 100 unlabelled per step.
"""

import ml_collections

from unsup_jax.configs import base, vae
from unsup_jax.configs.schema import Choice, Float, Int, Ints
from unsup_jax.errors import UserError

MODELS = ("supervised", "m1", "m2", "m1m2", "vat", "fixmatch")
# The models that train the classifier q(y|x) alone (`semi.hidden`,
# `semi.activation`), on the labels and, but for "supervised", a
# consistency loss on the unlabelled stream.
CLASSIFIER_MODELS = ("supervised", "vat", "fixmatch")

SEMI = dict(
    model=Choice("m2", MODELS, doc="supervised: q(y|x) on the labels alone; "
                 "m1: a classifier on the VAE's codes; m2: the "
                 "generative model on pixels; m1m2: M2 on M1's codes; vat: "
                 "q(y|x) with virtual adversarial training; fixmatch: q(y|x) "
                 "with FixMatch's confident pseudo-labels"),
    hidden=Ints((500,), min=1, doc="widths of q(y|x), q(z|x,y), p(x|y,z)"),
    activation=Choice("softplus", ("softplus", "relu"),
                      doc="of q(y|x) (supervised, vat, fixmatch)"),
    augment=base.Augment("augmentation of the labelled batch (supervised, "
                         "vat, fixmatch) and FixMatch's weak view"),
    strong_augment=base.Augment("FixMatch's strong view of the unlabelled "
                                "images"),
    unlabelled_weight=Float(1.0, min=0.0, doc="weight of the consistency "
                            "loss (vat, fixmatch)"),
    threshold=Float(0.95, min=0.0, max=1.0, doc="fixmatch: confidence of "
                    "a pseudo-label"),
    vat_epsilon=Float(0.3, above=0.0, doc="vat: L2 norm of the "
                      "perturbation (pixels in [0, 1]; Miyato et al.'s MNIST "
                      "semi-supervised setting)"),
    vat_xi=Float(1e-3, above=0.0, doc="vat: finite difference of the power "
                 "iteration (the paper's 1e-6 is below float32's resolution "
                 "of the KL: its direction is rounding noise)"),
    vat_iterations=Int(1, min=1, doc="vat: power iterations"),
    entmin_weight=Float(0.0, min=0.0, doc="vat: weight of the entropy of "
                        "the unlabelled predictions (VAT+EntMin)"),
    m1_classifier=Choice("spreading", ("spreading", "linear"), doc="m1: "
                         "on the VAE's posterior means, label spreading "
                         "over the codes of both streams (transductive, as "
                         "the paper's TSVM), or softmax regression on the "
                         "labelled codes alone"),
    neighbours=Int(10, min=1, doc="m1 spreading: k of the k-nearest-"
                   "neighbour graph and of the test vote"),
    spread_alpha=Float(0.2, above=0.0, below=1.0, doc="m1 spreading: share "
                       "of a node's label taken from its neighbours"),
    latent_dim=Int(50, min=1, doc="z of M2"),
    alpha_scale=Float(0.1, min=0.0, doc="alpha = alpha_scale x N (N: the "
                      "labelled and unlabelled examples) weighs the mean "
                      "cross-entropy against the per-example bounds"),
    analogies=Int(8, min=1, doc="test images whose style z fills the rows "
                  "of the conditional-generation figure"),
)
M1 = dict(vae.FIELDS, num_steps=Int(1500, min=0, doc="steps of M1's VAE "
                                    "(phase 'm1': m1 and m1m2)"))
SECTIONS = {"semi": SEMI, "m1": M1}


def config(model: str = "m2"):
  """`model` at the paper's MNIST settings on mnist5k with 100 labels."""
  c = base.with_sections("semi_supervised", SECTIONS)
  c.semi.model = model
  c.data.binarize = "dynamic"
  c.data.streams = {
      "labelled": {"subset": "balanced", "size": 100, "batch_size": 100},
      "unlabelled": {"subset": "rest", "of": "labelled", "batch_size": 100},
  }
  c.m1.update(kind="mlp", encoder_hidden=(600, 600),
              decoder_hidden=(600, 600), latent_dim=50, probe_labels=())
  if model in ("m2",) + CLASSIFIER_MODELS:
    c.m1.num_steps = 0  # no M1
  c.optim.learning_rate = 3e-4
  c.train.update(num_steps=2000, eval_every=0, checkpoint_every=500)
  if model == "m1":
    c.train.num_steps = 0  # M1's steps are its VAE's; its classifier is a fit
  return c


def classifier_setup(c) -> None:
  """The classifier of the consistency methods and of the labels-alone
  baseline they are measured against (Miyato et al.'s MNIST network, without
  its batch normalisation): 784-1200-1200-10, ReLU, on gray pixels, 5,000
  steps."""
  c.semi.update(hidden=(1200, 1200), activation="relu")
  c.data.binarize = "none"
  c.train.update(num_steps=5000, checkpoint_every=1000)


def check(c) -> None:
  vae.check(_as_vae(c))
  base.require_streams(c, ("labelled", "unlabelled"))
  if c.semi.model in ("m1", "m1m2") and c.m1.kind != "mlp":
    raise UserError("config.m1.kind must be 'mlp' (M1's codes feed a "
                    "classifier and M2 as flat vectors)")
  if c.semi.model == "m1" and c.train.num_steps:
    raise UserError("model 'm1' has no phase 'train' (its VAE trains for "
                    "config.m1.num_steps, its classifier is fitted once); "
                    "set config.train.num_steps=0")
  if c.semi.model == "fixmatch" and not c.semi.strong_augment:
    raise UserError("model 'fixmatch' needs config.semi.strong_augment (e.g. "
                    "'translation,affine,cutout')")
  if c.m1.objective != "elbo":
    raise UserError("config.m1.objective must be 'elbo' (M1 is a plain VAE)")


def _as_vae(c):
  """`c` seen as a VAE config (`config.vae` = `config.m1`), for its checks."""
  return ml_collections.ConfigDict({"vae": c.m1})


def smoke(c) -> None:
  c.m1.update(iwae_samples=10, quick_iwae_samples=4, iwae_chunk=5)
  c.semi.update(hidden=(32,), latent_dim=4, analogies=2)
  c.m1.update(encoder_hidden=(32,), decoder_hidden=(32,), latent_dim=4)
  if c.semi.model == "m1":
    c.train.num_steps = 0
  c.data.streams.labelled.size = min(c.data.streams.labelled.size or 20, 20)
