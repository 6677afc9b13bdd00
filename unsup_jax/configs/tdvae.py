"""Config of TD-VAE (`methods/sequences/tdvae.py`): sections `tdvae` (the
model, its training pairs and its evaluation) and `baseline` (the deterministic
LSTM predictor trained beside it, phase "baseline").

The data are sequences: feature `frames` `[T, ...]` of `moving_digits`,
`oscillator`, `bouncing_balls` or `tfds:moving_mnist`. Network sizes follow
the TD-VAE paper's moving-MNIST model (Gregor et al. 2019, Appendix):
an LSTM belief of 256 units over a two-layer ReLU embedding, two latent
layers of 8 units, gated blocks of 50 units, jumps of 1 to 4 steps.
"""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Choice, Int, Ints, Str
from unsup_jax.errors import UserError

LIKELIHOODS = ("bernoulli", "gaussian")

TDVAE = dict(
    likelihood=Choice("bernoulli", LIKELIHOODS, doc="p(x|z) of a frame: "
                      "bernoulli (pixels in [0, 1]) or gaussian (learned "
                      "variance per dimension)"),
    embed_hidden=Ints((256, 256), min=1, doc="frame embedding MLP"),
    belief_size=Int(256, min=1, doc="LSTM width (the belief b_t)"),
    latent_dim=Int(8, min=1, doc="units per latent layer"),
    num_layers=Int(2, min=1, doc="latent layers (the paper's two)"),
    hidden=Int(50, min=1, doc="width of every gated Gaussian block"),
    decoder_hidden=Ints((200, 200), min=1, doc="decoder MLP"),
    max_jump=Int(4, min=1, doc="D: t2 - t1 is drawn uniformly in [1, D]"),
    pairs=Int(4, min=1, doc="time pairs drawn per sequence and step"),
    warmup_steps=Int(0, min=0, doc="the latent terms' weight rises "
                     "linearly from 0 to 1 over these steps"),
    unroll=Int(1, min=1, doc="LSTM time steps per scan iteration"),
    eval_from=Int(4, min=0, doc="predictions are scored from beliefs at "
                  "t >= eval_from (0-based: after eval_from + 1 frames)"),
    eval_sequences=Int(500, min=1, doc="test sequences scored"),
    eval_samples=Int(16, min=1, doc="samples per predictive distribution"),
    observe=Int(10, min=1, doc="frames seen before a rollout"),
    rollout_jump=Int(1, min=1, doc="steps per jump of the shown rollouts"),
    rollout_samples=Int(4, min=1, doc="sampled futures per shown sequence"),
    rollouts_shown=Int(3, min=1, doc="sequences in the rollout figure"),
    classifier_path=Str("", doc="moving digits: the mnist5k classifier's "
                        "cache ('' = $UNSUP_JAX_FID_CLASSIFIER or the "
                        "workdir)"),
)
BASELINE = dict(
    num_steps=Int(3000, min=0, doc="steps of the deterministic LSTM "
                  "predictor (phase 'baseline'; give it TD-VAE's budget); 0 "
                  "= none"),
)
SECTIONS = {"tdvae": TDVAE, "baseline": BASELINE}


def config(likelihood: str = "bernoulli"):
  """The base config with the TD-VAE sections at their defaults."""
  c = base.with_sections("tdvae", SECTIONS)
  c.tdvae.likelihood = likelihood
  c.data.batch_size = 64
  c.optim.grad_clip_norm = 10.0
  c.train.update(num_steps=3000, eval_every=1000, checkpoint_every=1000)
  return c


def image_sequences(name: str, num_steps: int):
  """The setting of the image sequence sets (moving and switching digits,
  bouncing balls): Bernoulli frames, jumps of 1 to 4, rollouts after 10
  frames, scores from t = 4, 1,000 warm-up steps, a cosine schedule, and
  `num_steps` for TD-VAE and for the LSTM baseline alike."""
  c = config("bernoulli")
  c.data.name = name
  c.tdvae.update(max_jump=4, observe=10, eval_from=4, warmup_steps=1000)
  c.optim.schedule = "cosine"
  c.train.num_steps = c.baseline.num_steps = num_steps
  c.train.update(eval_every=2000, checkpoint_every=2000)
  return c


def check(c) -> None:
  t = c.tdvae
  if t.rollout_jump > t.max_jump:
    raise UserError(f"config.tdvae.rollout_jump ({t.rollout_jump}) cannot "
                    f"exceed config.tdvae.max_jump ({t.max_jump})")
  if c.data.binarize != "none" or c.data.corruption != "none":
    raise UserError("TD-VAE reads feature 'frames', which "
                    "config.data.binarize and config.data.corruption do not "
                    "transform; leave them at 'none'")


def check_length(t, length: int) -> None:
  """The settings that depend on the sequence length T (known with the
  data): a one-line UserError naming the first that does not fit."""
  if t.max_jump > length - 1:
    raise UserError(f"config.tdvae.max_jump ({t.max_jump}) must be < the "
                    f"sequence length ({length})")
  if t.eval_from + t.max_jump > length - 1:
    raise UserError(f"config.tdvae.eval_from + max_jump ({t.eval_from} + "
                    f"{t.max_jump}) must be < the sequence length ({length})")
  if t.observe + t.rollout_jump > length:
    raise UserError(f"config.tdvae.observe + rollout_jump ({t.observe} + "
                    f"{t.rollout_jump}) must be <= the sequence length "
                    f"({length}): a rollout needs a future")


def smoke(c) -> None:
  c.tdvae.update(embed_hidden=(16,), belief_size=16, latent_dim=2, hidden=8,
                 decoder_hidden=(16,), eval_sequences=8, eval_samples=2,
                 rollout_samples=2, rollouts_shown=2)
