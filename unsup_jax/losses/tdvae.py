"""The TD-VAE objective: a bound on log p(x_t2 | x_1..t1) for a time pair.

Gregor, Papamakarios, Besse, Buesing & Weber (2019), "Temporal Difference
Variational Auto-Encoder", ICLR, arXiv:1806.03107, Eq. 8. For times
t1 < t2 with beliefs b_t1, b_t2 (an LSTM's summaries of x_1..t), a state
z_t2 is drawn from the belief p_B(z | b_t2), the earlier state z_t1 from
the smoothing posterior q_S(z_t1 | z_t2, b_t1, b_t2), and

  L = log p_D(x_t2 | z_t2) + log p_T(z_t2 | z_t1) - log p_B(z_t2 | b_t2)
      - KL(q_S(z_t1 | ...) || p_B(z_t1 | b_t1)),

whose expectation is at most log p(x_t2 | x_1..t1): p_B(z_t2 | b_t2)
stands in for the filtering posterior at t2, q_S for the smoothing
posterior at t1, and the belief at t1 is trained as the prior of the
transition (the "temporal difference": the belief about the later time
teaches the earlier one). With exact filtering and smoothing posteriors
and the true transition of a linear-Gaussian model, L equals
log p(x_t2 | x_1..t1) in expectation (tested against the Kalman filter).

Every distribution over z is a hierarchy of diagonal Gaussians, top layer
first (`ops/distributions.sample_layers`): the KL is summed over layers in
closed form, each lower layer given the same sampled upper layers; the
other two densities are evaluated at the sample (the transition's depends
on z_t1, drawn after z_t2, so that KL has no closed form).
"""

from typing import Callable

import jax
import jax.numpy as jnp

from unsup_jax.ops import distributions

LayerFn = Callable[[int, jax.Array | None], tuple[jax.Array, jax.Array]]


def tdvae_terms(keys: jax.Array, *, belief_t1: LayerFn, belief_t2: LayerFn,
                smoothing: Callable[[jax.Array], LayerFn],
                transition: Callable[[jax.Array], LayerFn],
                log_likelihood: Callable[[jax.Array], jax.Array],
                num_layers: int) -> dict:
  """Per-example terms of the TD-VAE bound for one time pair each.

  Args:
    keys: `[B]` per-example keys; each draws z_t2 and then z_t1.
    belief_t1: p_B(z_t1 | b_t1) as layers `(layer, upper) -> (mean,
      logvar)`.
    belief_t2: p_B(z_t2 | b_t2), likewise.
    smoothing: `z_t2 [B, D] -> ` the layers of q_S(z_t1 | z_t2, ...).
    transition: `z_t1 [B, D] -> ` the layers of p_T(z_t2 | z_t1).
    log_likelihood: `z_t2 [B, D] -> [B]` log p_D(x_t2 | z_t2).
    num_layers: layers of every hierarchy.

  Returns:
    `{loss, log_likelihood, log_transition, log_belief_t2, kl_t1}`, each
    `[B]`; `loss` is minus the bound (in nats).
  """
  k2, k1 = jnp.moveaxis(jax.vmap(jax.random.split)(keys), 1, 0)
  z2, mean2, logvar2 = distributions.sample_layers(k2, belief_t2, num_layers)
  z1, q_mean, q_logvar = distributions.sample_layers(k1, smoothing(z2),
                                                     num_layers)
  kl = distributions.kl_diag_gaussians(
      q_mean, q_logvar, *distributions.layer_params(belief_t1, z1, num_layers))
  log_transition = distributions.gaussian_log_prob(
      z2, *distributions.layer_params(transition(z1), z2, num_layers))
  log_belief = distributions.gaussian_log_prob(z2, mean2, logvar2)
  log_lik = log_likelihood(z2)
  loss = -(log_lik + log_transition - log_belief - kl)
  return dict(loss=loss, log_likelihood=log_lik, log_transition=log_transition,
              log_belief_t2=log_belief, kl_t1=kl)


def summarize(t: dict, *, beta: jax.Array | float = 1.0
              ) -> tuple[jax.Array, dict]:
  """`(mean loss, metrics)` of `tdvae_terms`' output over all its entries,
  for `jax.value_and_grad(..., has_aux=True)`: `loss_rec` (-log p_D),
  `loss_kl` (the KL at t1), `loss_transition` (log p_B(z_t2 | b_t2) - log
  p_T(z_t2 | z_t1), the sampled KL at t2) and `loss` = loss_rec + beta
  (loss_kl + loss_transition); beta = 1 is minus the bound, beta < 1 a
  warm-up that lets the decoder learn to read z before the states pay for
  their information (as the KL warm-up of VAEs, Bowman et al. 2016)."""
  rec = -jnp.mean(t["log_likelihood"])
  kl = jnp.mean(t["kl_t1"])
  transition = jnp.mean(t["log_belief_t2"] - t["log_transition"])
  loss = rec + beta * (kl + transition)
  return loss, {"loss": loss, "loss_rec": rec, "loss_kl": kl,
                "loss_transition": transition, "bound": -(rec + kl +
                                                          transition)}


def tdvae_loss(keys: jax.Array, *, beta: jax.Array | float = 1.0,
               **kwargs) -> tuple[jax.Array, dict]:
  """`summarize(tdvae_terms(keys, **kwargs), beta=beta)`."""
  return summarize(tdvae_terms(keys, **kwargs), beta=beta)
