"""Adversarial losses on discriminator logits.

Pure functions of the discriminator's raw outputs (logits) on real and
generated samples, each returning `(loss, metrics)`:

* minimax: the binary cross-entropy game of Goodfellow et al. (2014),
  "Generative Adversarial Nets", arXiv:1406.2661: D maximises
  log D(x) + log(1 - D(G(z))), G minimises log(1 - D(G(z))).
* non-saturating: the same D loss; G maximises log D(G(z)) instead (also
  Goodfellow et al. 2014, Section 3), whose gradient does not vanish when D
  confidently rejects the samples.
* hinge: Lim & Ye (2017), "Geometric GAN", arXiv:1705.02894; Miyato et al.
  (2018), "Spectral Normalization for GANs", arXiv:1802.05957:
  D minimises E[relu(1 - D(x))] + E[relu(1 + D(G(z)))], G minimises
  -E[D(G(z))].
* least squares: Mao et al. (2017), "Least Squares Generative Adversarial
  Networks", arXiv:1611.04076, with targets (a, b, c) = (0, 1, 1).
* wasserstein: Arjovsky, Chintala & Bottou (2017), "Wasserstein GAN",
  arXiv:1701.07875: the critic minimises E[D(G(z))] - E[D(x)], an estimate
  of minus the Kantorovich-Rubinstein dual of the Wasserstein-1 distance
  when D is 1-Lipschitz; G minimises -E[D(G(z))]. The Lipschitz constraint
  is the caller's: weight clipping, or a penalty below.

Gradient penalties on the critic's input gradient (in `gradient_penalty.py`,
re-exported here; they take the critic function, not logits):

* `gradient_penalty`: WGAN-GP, Gulrajani et al. (2017), "Improved Training
  of Wasserstein GANs", arXiv:1704.00028: E[(||grad D(x_hat)||_2 - 1)^2] on
  random interpolates x_hat of real and generated samples.
* `r1_penalty`: R1, Mescheder, Geiger & Nowozin (2018), "Which Training
  Methods for GANs do actually Converge?", arXiv:1801.04406:
  E[||grad D(x)||^2] on real samples (the caller multiplies by gamma / 2).

`D(x) = sigmoid(logit)` for the cross-entropy losses, computed with
`log_sigmoid`/`softplus` so that large logits neither overflow nor lose
precision. Logits may have any shape (`[B]`, `[B, 1]`, per-patch maps);
every loss is a mean over all their elements. Metric keys: `d_loss` or
`g_loss`, and `d_real` / `d_fake`, the mean logit on real / generated
samples (for the cross-entropy losses also `d_real_prob` / `d_fake_prob`,
the mean D(x)).

`get(name)` returns the `(d_loss_fn, g_loss_fn)` pair of a named loss from
`LOSSES`; a penalty is added to the critic loss by the caller.
"""

import functools
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from unsup_jax.errors import UserError
# Re-exported: the penalties of the module docstring.
from unsup_jax.losses.gradient_penalty import gradient_penalty  # noqa: F401
from unsup_jax.losses.gradient_penalty import r1_penalty  # noqa: F401

Metrics = dict[str, jax.Array]


def _logit_metrics(prefix: str, logits: jax.Array, *,
                   probs: bool) -> Metrics:
  out = {prefix: jnp.mean(logits)}
  if probs:
    out[f"{prefix}_prob"] = jnp.mean(jax.nn.sigmoid(logits))
  return out


def minimax_d_loss(real_logits: jax.Array, fake_logits: jax.Array, *,
                   real_label: float = 1.0) -> tuple[jax.Array, Metrics]:
  """Discriminator cross-entropy: -E log D(x) - E log(1 - D(G(z))).

  With `real_label` = s < 1, the target of real samples is s instead of 1
  (one-sided label smoothing, Salimans et al. 2016, "Improved Techniques for
  Training GANs", arXiv:1606.03498, Section 3.4): the real term becomes
  -E[s log D(x) + (1 - s) log(1 - D(x))], whose minimum over D(x) is at
  D(x) = s, so D is not rewarded for ever larger logits on real data.
  Fakes keep the target 0 (smoothing them too would move the optimal D
  towards the generator's own density).

  Args:
    real_logits: `[B, ...]` logits on real samples.
    fake_logits: `[B', ...]` logits on generated samples.
    real_label: the target of real samples, in (0, 1].

  Returns:
    (loss, {"d_loss", "d_real", "d_fake", "d_real_prob", "d_fake_prob"}).
    Equals 2 log 2 when every logit is 0.
  """
  # -log sigmoid(r) = softplus(-r); -log(1 - sigmoid(f)) = softplus(f).
  real_term = jax.nn.softplus(-real_logits)
  if real_label != 1.0:
    real_term = (real_label * real_term +
                 (1 - real_label) * jax.nn.softplus(real_logits))
  loss = jnp.mean(real_term) + jnp.mean(jax.nn.softplus(fake_logits))
  return loss, dict(d_loss=loss,
                    **_logit_metrics("d_real", real_logits, probs=True),
                    **_logit_metrics("d_fake", fake_logits, probs=True))


def minimax_g_loss(fake_logits: jax.Array) -> tuple[jax.Array, Metrics]:
  """Generator loss of the original game: E log(1 - D(G(z))).

  Its gradient with respect to a logit f is -sigmoid(f): it vanishes when D
  rejects the samples (f -> -inf), early in training.

  Args:
    fake_logits: `[B, ...]` logits on generated samples.

  Returns:
    (loss, {"g_loss", "d_fake", "d_fake_prob"}); -log 2 at logits 0.
  """
  loss = -jnp.mean(jax.nn.softplus(fake_logits))
  return loss, dict(g_loss=loss,
                    **_logit_metrics("d_fake", fake_logits, probs=True))


def non_saturating_g_loss(fake_logits: jax.Array) -> tuple[jax.Array, Metrics]:
  """Non-saturating generator loss: -E log D(G(z)).

  Its gradient with respect to a logit f is -sigmoid(-f) -> -1 as
  f -> -inf. The discriminator loss is `minimax_d_loss`.

  Args:
    fake_logits: `[B, ...]` logits on generated samples.

  Returns:
    (loss, {"g_loss", "d_fake", "d_fake_prob"}); log 2 at logits 0.
  """
  loss = -jnp.mean(jax.nn.log_sigmoid(fake_logits))
  return loss, dict(g_loss=loss,
                    **_logit_metrics("d_fake", fake_logits, probs=True))


def hinge_d_loss(real_logits: jax.Array,
                 fake_logits: jax.Array) -> tuple[jax.Array, Metrics]:
  """Hinge discriminator loss: E relu(1 - D(x)) + E relu(1 + D(G(z))).

  Args:
    real_logits: `[B, ...]` outputs on real samples.
    fake_logits: `[B', ...]` outputs on generated samples.

  Returns:
    (loss, {"d_loss", "d_real", "d_fake"}).
  """
  loss = (jnp.mean(jax.nn.relu(1.0 - real_logits)) +
          jnp.mean(jax.nn.relu(1.0 + fake_logits)))
  return loss, dict(d_loss=loss,
                    **_logit_metrics("d_real", real_logits, probs=False),
                    **_logit_metrics("d_fake", fake_logits, probs=False))


def hinge_g_loss(fake_logits: jax.Array) -> tuple[jax.Array, Metrics]:
  """Hinge generator loss: -E D(G(z)).

  Args:
    fake_logits: `[B, ...]` outputs on generated samples.

  Returns:
    (loss, {"g_loss", "d_fake"}).
  """
  loss = -jnp.mean(fake_logits)
  return loss, dict(g_loss=loss,
                    **_logit_metrics("d_fake", fake_logits, probs=False))


def least_squares_d_loss(real_logits: jax.Array, fake_logits: jax.Array, *,
                         real_target: float = 1.0, fake_target: float = 0.0
                         ) -> tuple[jax.Array, Metrics]:
  """Least-squares discriminator loss (Mao et al. 2017, eq. 2).

  1/2 E (D(x) - b)^2 + 1/2 E (D(G(z)) - a)^2 on the raw outputs.

  Args:
    real_logits: `[B, ...]` outputs on real samples.
    fake_logits: `[B', ...]` outputs on generated samples.
    real_target: b, the target for real samples.
    fake_target: a, the target for generated samples.

  Returns:
    (loss, {"d_loss", "d_real", "d_fake"}).
  """
  loss = 0.5 * (jnp.mean(jnp.square(real_logits - real_target)) +
                jnp.mean(jnp.square(fake_logits - fake_target)))
  return loss, dict(d_loss=loss,
                    **_logit_metrics("d_real", real_logits, probs=False),
                    **_logit_metrics("d_fake", fake_logits, probs=False))


def least_squares_g_loss(fake_logits: jax.Array, *, target: float = 1.0
                         ) -> tuple[jax.Array, Metrics]:
  """Least-squares generator loss: 1/2 E (D(G(z)) - c)^2 (Mao et al. 2017).

  Args:
    fake_logits: `[B, ...]` outputs on generated samples.
    target: c, the value G wants D to output on its samples.

  Returns:
    (loss, {"g_loss", "d_fake"}).
  """
  loss = 0.5 * jnp.mean(jnp.square(fake_logits - target))
  return loss, dict(g_loss=loss,
                    **_logit_metrics("d_fake", fake_logits, probs=False))


def wasserstein_d_loss(real_logits: jax.Array,
                       fake_logits: jax.Array) -> tuple[jax.Array, Metrics]:
  """Wasserstein critic loss: E D(G(z)) - E D(x) (Arjovsky et al. 2017).

  Args:
    real_logits: `[B, ...]` critic outputs on real samples.
    fake_logits: `[B', ...]` critic outputs on generated samples.

  Returns:
    (loss, {"d_loss", "d_real", "d_fake", "wasserstein"}), where
    `wasserstein` = E D(x) - E D(G(z)) = -loss, the critic's estimate of the
    Wasserstein-1 distance (up to its Lipschitz constant).
  """
  d_real, d_fake = jnp.mean(real_logits), jnp.mean(fake_logits)
  loss = d_fake - d_real
  return loss, dict(d_loss=loss, d_real=d_real, d_fake=d_fake,
                    wasserstein=d_real - d_fake)


def wasserstein_g_loss(fake_logits: jax.Array) -> tuple[jax.Array, Metrics]:
  """Wasserstein generator loss: -E D(G(z)) (Arjovsky et al. 2017).

  Args:
    fake_logits: `[B, ...]` critic outputs on generated samples.

  Returns:
    (loss, {"g_loss", "d_fake"}).
  """
  loss = -jnp.mean(fake_logits)
  return loss, dict(g_loss=loss,
                    **_logit_metrics("d_fake", fake_logits, probs=False))


class AdversarialLoss(NamedTuple):
  """A discriminator loss `d(real_logits, fake_logits)` and the matching
  generator loss `g(fake_logits)`, both returning `(loss, metrics)`."""
  d: Callable[..., tuple[jax.Array, Metrics]]
  g: Callable[..., tuple[jax.Array, Metrics]]


LOSSES = {
    "minimax": AdversarialLoss(minimax_d_loss, minimax_g_loss),
    "non_saturating": AdversarialLoss(minimax_d_loss, non_saturating_g_loss),
    "hinge": AdversarialLoss(hinge_d_loss, hinge_g_loss),
    "least_squares": AdversarialLoss(least_squares_d_loss,
                                     least_squares_g_loss),
    "wasserstein": AdversarialLoss(wasserstein_d_loss, wasserstein_g_loss),
}


def get(name: str, allowed: tuple[str, ...] | None = None, *,
        real_label: float = 1.0) -> AdversarialLoss:
  """The loss pair called `name`; UserError if unknown or not in `allowed`.

  Args:
    name: a key of `LOSSES`.
    allowed: the names a caller supports (default: all of `LOSSES`).
    real_label: the target of real samples for the cross-entropy losses
      (`minimax`, `non_saturating`); below 1 is one-sided label smoothing.
      The other losses have no labels to smooth: a UserError.
  """
  allowed = tuple(LOSSES) if allowed is None else allowed
  if name not in allowed or name not in LOSSES:
    raise UserError(f"adversarial loss {name!r} is unknown; choose one of "
                    f"{', '.join(allowed)}")
  pair = LOSSES[name]
  if real_label == 1.0:
    return pair
  if pair.d is not minimax_d_loss:
    raise UserError(f"label smoothing needs a cross-entropy loss (minimax or "
                    f"non_saturating), not {name!r}")
  if not 0.0 < real_label <= 1.0:
    raise UserError(f"the real label must be in (0, 1], got {real_label}")
  return pair._replace(d=functools.partial(minimax_d_loss,
                                           real_label=real_label))
