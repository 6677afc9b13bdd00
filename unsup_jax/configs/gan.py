"""Config of the GANs (`methods/adversarial/gan.py`): section `gan` (defaults:
DCGAN on 28x28 digits)."""

from unsup_jax.configs import base
from unsup_jax.configs.schema import Bool, Choice, Float, Int, Str
from unsup_jax.errors import UserError

LOSSES = ("minimax", "non_saturating", "hinge", "least_squares",
          "wasserstein")

FIELDS = dict(
    loss=Choice("non_saturating", LOSSES),
    noise_dim=Int(64, min=1),
    g_channels=Int(128, min=1, doc="first generator feature map (halved up)"),
    d_channels=Int(64, min=1, doc="first discriminator conv (doubled down)"),
    num_scales=Int(2, min=1, doc="stride-2 (de)convolutions (28 -> 7)"),
    n_critic=Int(1, min=1, doc="discriminator updates per generator update"),
    gradient_penalty=Float(0.0, min=0.0, doc="WGAN-GP weight (paper: 10)"),
    r1_gamma=Float(0.0, min=0.0, doc="R1 weight (penalty * gamma / 2)"),
    r1_every=Int(1, min=1, doc="lazy R1: the penalty on every k-th step "
                 "only, weighted k times (Karras et al. 2020)"),
    g_learning_rate=Float(2e-4, above=0.0),
    d_learning_rate=Float(2e-4, above=0.0),
    beta1=Float(0.5, min=0.0, below=1.0, doc="Adam beta1 of both networks "
                "(0.5: Radford et al. 2016; 0: Gulrajani et al. 2017)"),
    beta2=Float(0.999, min=0.0, below=1.0),
    decay_from=Float(1.0, min=0.0, max=1.0, doc="fraction of "
                     "train.num_steps after which both learning rates fall "
                     "linearly to 0 (1 = constant rates)"),
    spectral_norm=Bool(False, doc="spectrally normalise D's kernels "
                       "(Miyato et al. 2018)"),
    ema_decay=Float(0.0, min=0.0, max=1.0, doc="moving average of G's "
                    "weights, used for sampling and evaluation; 0 = raw G"),
    ema_start=Int(0, min=0, doc="steps before the average starts (the EMA "
                  "copies G until then)"),
    augment=base.Augment("DiffAugment policy for what D sees, e.g. "
                         "'translation,cutout' (Zhao et al. 2020)"),
    real_label=Float(1.0, above=0.0, max=1.0, doc="target of real samples; "
                     "< 1 = one-sided label smoothing (Salimans et al. 2016)"),
    fid_samples=Int(1000, min=2, doc="generated images per FID/KID"),
    fid_classifier=Str("", doc="cache of the feature network; '' = workdir"),
)
SECTIONS = {"gan": FIELDS}


def config(*, loss: str = "non_saturating"):
  c = base.with_sections("gan", SECTIONS)
  c.gan.loss = loss
  return c


def smoke(c) -> None:
  """Narrower networks and fewer FID samples: in a smoke run of a few
  steps, evaluating a full-width generator on 1,000 samples is most of the
  work."""
  c.gan.update(g_channels=min(c.gan.g_channels, 32),
               d_channels=min(c.gan.d_channels, 16),
               fid_samples=min(c.gan.fid_samples, 200))


def check(c) -> None:
  if c.gan.loss == "wasserstein" and c.gan.gradient_penalty == 0:
    raise UserError("config.gan.loss 'wasserstein' needs a Lipschitz "
                    "constraint: set config.gan.gradient_penalty (e.g. 10)")
  if c.gan.real_label < 1 and c.gan.loss not in ("minimax", "non_saturating"):
    raise UserError(f"config.gan.real_label < 1 (label smoothing) needs a "
                    f"cross-entropy loss, not {c.gan.loss!r}")
