"""Config of the VAE (`methods/vae/vae.py`): section `vae`.

Networks, likelihood, the beta / capacity objective with its KL warm-up,
and the importance-weighted test NLL (k samples, drawn in chunks).
"""

from unsup_jax.configs import base, networks
from unsup_jax.configs.schema import Choice, Float, Int
from unsup_jax.errors import UserError

LIKELIHOODS = ("bernoulli", "gaussian")
OBJECTIVES = ("elbo", "tcvae", "dip_vae_i", "dip_vae_ii")
# The schedules of `ops/schedules.kl_weight` (configs do not import JAX).
KL_SCHEDULES = ("linear", "logistic", "cyclical")

FIELDS = dict(
    networks.fields(),
    likelihood=Choice("bernoulli", LIKELIHOODS),
    beta=Float(1.0, min=0.0, doc="KL weight (beta-VAE)"),
    kl_warmup_steps=Int(0, min=0, doc="length of the KL weight's schedule "
                        "from 0 to beta (0: beta from the start)"),
    kl_schedule=Choice("linear", KL_SCHEDULES, doc="the KL "
                       "weight's rise: linear, logistic (Bowman et al.) or "
                       "cyclical (Fu et al.; kl_warmup_steps is the period)"),
    kl_ramp_fraction=Float(0.5, above=0.0, max=1.0, doc="cyclical: the "
                           "rising part of each period"),
    free_bits=Float(0.0, min=0.0, doc="> 0: each unit's batch-mean KL "
                    "counts at least this many nats (Kingma et al. 2016)"),
    capacity_max=Float(0.0, min=0.0,
                       doc="> 0: the capacity objective gamma |KL - C|"),
    capacity_steps=Int(0, min=0, doc="steps to raise C to capacity_max"),
    gamma=Float(1000.0, min=0.0, doc="weight of |KL - C|"),
    objective=Choice("elbo", OBJECTIVES, doc="the KL term: as is (with "
                     "beta), beta-TCVAE's split (beta weighs the total "
                     "correlation) or KL + a DIP-VAE penalty"),
    tc_alpha=Float(1.0, min=0.0, doc="beta-TCVAE: weight of the index-code "
                   "mutual information"),
    tc_gamma=Float(1.0, min=0.0, doc="beta-TCVAE: weight of the "
                   "dimension-wise KL"),
    tc_estimator=Choice("mws", ("mws", "mss"), doc="beta-TCVAE's estimate "
                        "of q(z): minibatch weighted or stratified sampling"),
    dip_lambda_od=Float(10.0, min=0.0, doc="DIP-VAE: off-diagonal weight"),
    dip_lambda_d=Float(100.0, min=0.0, doc="DIP-VAE: diagonal weight "
                       "(disentanglement_lib: 10 x lambda_od for I, "
                       "lambda_od for II)"),
    disentangle_scale=Float(1.0, above=0.0, doc="on factor data: sample "
                            "sizes of the disentanglement metrics, as a "
                            "fraction of disentanglement_lib's (10,000 "
                            "points)"),
    disentangle_dci_trees=Int(100, min=1, doc="DCI's boosting stages "
                              "(scikit-learn's and disentanglement_lib's "
                              "100)"),
    disentangle_batch=Int(64, min=2, doc="batch of the beta-VAE and "
                          "FactorVAE scores (disentanglement_lib: 64)"),
    disentangle_mi_points=Int(10_000, min=2, doc="points of MIG and "
                              "modularity, not scaled (their estimator is "
                              "biased at small samples)"),
    iwae_samples=Int(1000, min=1, doc="k of the final test NLL"),
    quick_iwae_samples=Int(50, min=1, doc="k during training"),
    iwae_chunk=Int(100, min=1, doc="samples per chunk (memory)"),
    probe_labels=networks.PROBE_LABELS,
)
SECTIONS = {"vae": FIELDS}


def config():
  """The base config with the `vae` section at its defaults."""
  return base.with_sections("vae", SECTIONS)


def check(c) -> None:
  v = c.vae
  if v.free_bits > 0 and (v.objective != "elbo" or v.capacity_max > 0):
    raise UserError("config.vae.free_bits applies to the plain ELBO's KL; "
                    "it cannot be combined with the capacity objective or "
                    f"config.vae.objective={v.objective!r}")
  if v.objective != "elbo" and v.capacity_max > 0:
    raise UserError(f"config.vae.capacity_max > 0 (the capacity objective) "
                    f"replaces the KL term; it cannot be combined with "
                    f"config.vae.objective={v.objective!r}")
  for name in ("iwae_samples", "quick_iwae_samples"):
    if v[name] % min(v.iwae_chunk, v[name]):
      raise UserError(f"config.vae.{name} must be a multiple of "
                      f"config.vae.iwae_chunk ({v.iwae_chunk})")


def smoke(c) -> None:
  c.vae.iwae_samples, c.vae.quick_iwae_samples, c.vae.iwae_chunk = 4, 2, 2
  c.vae.disentangle_scale = min(c.vae.disentangle_scale, 0.01)
  c.vae.disentangle_dci_trees = min(c.vae.disentangle_dci_trees, 5)
  c.vae.disentangle_batch = min(c.vae.disentangle_batch, 8)
  c.vae.disentangle_mi_points = min(c.vae.disentangle_mi_points, 256)
  if c.data.name.startswith("dsprites"):  # 64x64 images through conv nets
    c.data.batch_size, c.data.num_test = 8, 32
