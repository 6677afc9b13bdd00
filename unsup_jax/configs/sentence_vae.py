"""Config of the sentence VAE and its language model
(`methods/text/sentence_vae.py`): sections `sentences` (the data,
`data/sentences.py`) and `svae` (model, objective, evaluation).

Defaults follow Bowman et al. (2016) in spirit at a size that trains on 2
CPU cores in minutes: a one-layer LSTM of 256 units each way over 256-wide
embeddings, z of 16 dimensions fed to the decoder at every step, the KL
weight rising on a logistic curve, word dropout 0.3 (Bowman et al. find
0.25 to 0.5 useful), Adam at 1e-3 with gradients clipped at norm 5.
`svae.model = "lm"` trains the same decoder without z (the language-model
baseline).
"""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Choice, Float, Int
from unsup_jax.configs.vae import KL_SCHEDULES
from unsup_jax.errors import UserError

SENTENCES = dict(
    min_length=Int(3, min=1, doc="shorter sentences are dropped (words)"),
    max_length=Int(30, min=1, doc="longer sentences are dropped (words)"),
    min_count=Int(5, min=1, doc="rarer training words become <unk>"),
    max_vocab=Int(10_000, min=0, doc="most frequent words kept; 0 = all"),
    validation_fraction=Float(0.05, above=0.0, below=1.0),
    test_fraction=Float(0.05, above=0.0, below=1.0),
)
SVAE = dict(
    model=Choice("vae", ("vae", "lm"), doc="the sentence VAE, or its "
                 "decoder alone as a language model"),
    cell=Choice("lstm", ("lstm", "gru")),
    embed_dim=Int(256, min=1),
    hidden=Int(256, min=1, doc="encoder and decoder state width"),
    latent_dim=Int(16, min=1),
    conditioning=Choice("input", ("input", "initial"), doc="z at every "
                        "decoder step, or only in its initial state"),
    word_dropout=Float(0.3, min=0.0, max=1.0, doc="rate at which the "
                       "decoder's input words become <unk> in training"),
    kl_schedule=Choice("logistic", KL_SCHEDULES),
    kl_steps=Int(2000, min=0, doc="length of the KL weight's schedule (the "
                 "cyclical one's period); 0 = full weight from the start"),
    kl_ramp_fraction=Float(0.5, above=0.0, max=1.0, doc="cyclical: the "
                           "rising part of each period"),
    beta=Float(1.0, min=0.0, doc="the KL weight the schedule reaches"),
    free_bits=Float(0.0, min=0.0, doc="> 0: nats per latent unit that the "
                    "KL term does not penalise (Kingma et al. 2016)"),
    iwae_samples=Int(50, min=1, doc="k of the test NLL's importance-"
                     "weighted bound"),
    iwae_chunk=Int(25, min=1, doc="samples per chunk (memory)"),
    eval_sentences=Int(0, min=0, doc="test sentences scored; 0 = all"),
    beam=Int(5, min=1, doc="beam width of the beam-search reconstructions"),
    shown=Int(8, min=1, doc="sentences in each text output"),
    homotopy_steps=Int(7, min=2, doc="points on each homotopy's line"),
)
SECTIONS = {"sentences": SENTENCES, "svae": SVAE}


def config(model: str = "vae"):
  """The sentence VAE (or with `model="lm"` its language model) on
  enwiki."""
  c = base.with_sections("sentence_vae", SECTIONS)
  c.svae.model = model
  c.data.name = "enwiki"
  c.data.batch_size = 32
  c.optim.update(learning_rate=1e-3, grad_clip_norm=5.0)
  c.eval.batch_size = 250
  c.train.update(num_steps=4500, log_every=100, eval_every=500,
                 checkpoint_every=1000)
  return c


def check(c) -> None:
  s, v = c.sentences, c.svae
  if s.min_length > s.max_length:
    raise UserError(f"config.sentences.min_length ({s.min_length}) exceeds "
                    f"max_length ({s.max_length})")
  if s.validation_fraction + s.test_fraction >= 1:
    raise UserError("config.sentences.validation_fraction + test_fraction "
                    "must leave training sentences (sum < 1)")
  if v.iwae_samples % min(v.iwae_chunk, v.iwae_samples):
    raise UserError(f"config.svae.iwae_samples ({v.iwae_samples}) must be a "
                    f"multiple of config.svae.iwae_chunk ({v.iwae_chunk})")
  if c.data.binarize != "none" or c.data.corruption != "none":
    raise UserError("the sentence VAE reads token ids, which "
                    "config.data.binarize and config.data.corruption do not "
                    "transform; leave them at 'none'")
  if c.data.streams:
    raise UserError("the sentence VAE draws the train stream only; remove "
                    "config.data.streams")


def smoke(c) -> None:
  c.svae.update(embed_dim=16, hidden=16, latent_dim=4, iwae_samples=4,
                iwae_chunk=2, eval_sentences=16, beam=2, shown=3,
                homotopy_steps=3, kl_steps=min(c.svae.kl_steps, 4))
  c.sentences.max_vocab = 500
