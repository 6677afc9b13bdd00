"""The objectives of deep embedded clustering: DEC and IDEC.

DEC (Xie et al. 2016, "Unsupervised Deep Embedding for Clustering
Analysis", arXiv:1511.06335, section 3.1):

* soft assignment of embedded point z_i to centre mu_j by a Student's t
  kernel with alpha degrees of freedom (eq. 1),
  q_ij = (1 + |z_i - mu_j|^2 / alpha)^(-(alpha + 1) / 2), each row
  normalised to sum to 1;
* the target distribution (eq. 3), which squares q and divides by the
  soft cluster frequency f_j = sum_i q_ij, so that confident points weigh
  more and large clusters do not swallow the rest:
  p_ij = (q_ij^2 / f_j) / sum_j' (q_ij'^2 / f_j');
* the loss KL(P || Q) = sum_i sum_j p_ij log(p_ij / q_ij) (eq. 2), with P
  held fixed (refreshed every T steps from the whole training set), its
  gradient reaching the encoder and the centres.

IDEC (Guo et al. 2017, "Improved Deep Embedded Clustering with Local
Structure Preservation", IJCAI) keeps the autoencoder's reconstruction
loss beside gamma times the clustering loss (`idec_loss`).

VaDE (Jiang et al. 2017, "Variational Deep Embedding", IJCAI) is a VAE
whose prior is a mixture of Gaussians p(c) p(z | c); with q(c | x) taken as
p(c | z) at a sample z of q(z | x) (`mixture_posterior`), its ELBO is the
decoder's log-likelihood minus `mixture_kl` (`vade_loss`).

IIC (Ji et al. 2019, "Invariant Information Clustering for Unsupervised
Image Classification and Segmentation", ICCV, eq. 1-3) maximises the mutual
information between the cluster assignments of two views of each image:
the joint distribution P of the pair (c, c') is the batch mean of the
outer products of their soft assignments, symmetrised, and the loss is
-I(c; c') = -sum_cc' P_cc' log(P_cc' / (P_c P_c')) (`iic_loss`).
"""

import jax
import jax.numpy as jnp

from unsup_jax.ops import distributions


def student_t_assignments(z: jax.Array, centres: jax.Array, *,
                          alpha: float = 1.0) -> jax.Array:
  """`[N, K]` soft assignments q of points `z` `[N, D]` to `centres`
  `[K, D]`; every row sums to 1."""
  d2 = jnp.sum(jnp.square(z[:, None, :] - centres[None]), axis=-1)
  log_kernel = -0.5 * (alpha + 1.0) * jnp.log1p(d2 / alpha)
  return jax.nn.softmax(log_kernel, axis=1)


def target_distribution(q: jax.Array) -> jax.Array:
  """`[N, K]` DEC's sharpened targets p from soft assignments `q` (eq. 3).
  Computed over the whole set whose frequencies f_j it should use."""
  weight = jnp.square(q) / jnp.sum(q, axis=0, keepdims=True)
  return weight / jnp.sum(weight, axis=1, keepdims=True)


def kl_per_example(p: jax.Array, q: jax.Array) -> jax.Array:
  """`[N]` KL(p_i || q_i), with 0 log 0 = 0."""
  safe_p = jnp.where(p > 0, p, 1.0)
  return jnp.sum(jnp.where(p > 0, p * (jnp.log(safe_p) -
                                       jnp.log(jnp.maximum(q, 1e-30))), 0.0),
                 axis=1)


def dec_loss(z: jax.Array, centres: jax.Array, p: jax.Array, *,
             alpha: float = 1.0) -> tuple[jax.Array, dict]:
  """DEC's clustering loss: the batch mean of KL(p_i || q_i), q from
  embedded points `z` `[B, D]` and `centres` `[K, D]`, targets `p`
  `[B, K]` held fixed (no gradient).

  Returns:
    `(loss, {"loss", "loss_cluster"})`.
  """
  q = student_t_assignments(z, centres, alpha=alpha)
  loss = jnp.mean(kl_per_example(jax.lax.stop_gradient(p), q))
  return loss, {"loss": loss, "loss_cluster": loss}


def idec_loss(rec_per_example: jax.Array, z: jax.Array, centres: jax.Array,
              p: jax.Array, *, gamma: float = 0.1,
              alpha: float = 1.0) -> tuple[jax.Array, dict]:
  """IDEC: mean reconstruction loss + gamma * DEC's loss (Guo et al. use
  gamma = 0.1).

  Args:
    rec_per_example: `[B]` reconstruction losses of the batch.
    z, centres, p, alpha: as in `dec_loss`.
    gamma: weight of the clustering loss.

  Returns:
    `(loss, {"loss", "loss_rec", "loss_cluster"})`.
  """
  cluster, _ = dec_loss(z, centres, p, alpha=alpha)
  rec = jnp.mean(rec_per_example)
  loss = rec + gamma * cluster
  return loss, {"loss": loss, "loss_rec": rec, "loss_cluster": cluster}


def mixture_posterior(z: jax.Array, log_weights: jax.Array,
                      means: jax.Array, log_vars: jax.Array) -> jax.Array:
  """`[B, K]` p(c | z) under the mixture prior p(c) p(z | c) with
  p(c) = softmax(log_weights) and diagonal Gaussians N(means_c,
  exp(log_vars_c)): VaDE's q(c | x), evaluated at a sample z of q(z | x)."""
  log_prior = jax.nn.log_softmax(log_weights)
  diff = z[:, None, :] - means[None]
  log_normal = -0.5 * jnp.sum(jnp.log(2.0 * jnp.pi) + log_vars[None] +
                              jnp.square(diff) / jnp.exp(log_vars)[None],
                              axis=-1)
  return jax.nn.softmax(log_prior[None] + log_normal, axis=1)


def mixture_kl(mean: jax.Array, logvar: jax.Array, gamma: jax.Array,
               log_weights: jax.Array, means: jax.Array,
               log_vars: jax.Array) -> jax.Array:
  """`[B]` E_q[log q(z, c | x) - log p(z, c)] in closed form for
  q(z | x) = N(mean, exp(logvar)) and q(c | x) = gamma `[B, K]` (Jiang et al.
  2017, eq. 12 with the expectations over z taken exactly):

    sum_c gamma_c KL(q(z | x) || p(z | c)) + KL(gamma || p(c)).

  With one component it is the VAE's KL to N(means_0, exp(log_vars_0))."""
  kl_per_component = distributions.kl_diag_gaussians(
      mean[:, None, :], logvar[:, None, :], means[None], log_vars[None])
  prior_probs = jax.nn.softmax(log_weights)[None]
  kl_c = kl_per_example(gamma, jnp.broadcast_to(prior_probs, gamma.shape))
  return jnp.sum(gamma * kl_per_component, axis=1) + kl_c


def vade_loss(log_likelihood: jax.Array, z: jax.Array, mean: jax.Array,
              logvar: jax.Array, prior: dict) -> tuple[jax.Array, dict]:
  """VaDE's negative ELBO, batch mean.

  Args:
    log_likelihood: `[B]` log p(x | z) of the decoded sample z.
    z: `[B, D]` the sample of q(z | x) (gives q(c | x) = p(c | z)).
    mean, logvar: `[B, D]` q(z | x).
    prior: `{"logits" [K], "means" [K, D], "log_vars" [K, D]}`.

  Returns:
    `(loss, {"loss", "loss_rec", "kl"})`.
  """
  gamma = mixture_posterior(z, prior["logits"], prior["means"],
                            prior["log_vars"])
  kl = mixture_kl(mean, logvar, gamma, prior["logits"], prior["means"],
                  prior["log_vars"])
  rec = -jnp.mean(log_likelihood)
  loss = rec + jnp.mean(kl)
  return loss, {"loss": loss, "loss_rec": rec, "kl": jnp.mean(kl)}


def iic_joint(p1: jax.Array, p2: jax.Array, *,
              axis_name: str | None = None) -> jax.Array:
  """`[K, K]` IIC's joint distribution of the cluster pair (c, c') of two
  views: the mean over the batch of outer(p1_i, p2_i), symmetrised
  ((P + P^T) / 2). `p1`, `p2`: `[B, K]` soft assignments (rows sum to 1).
  Under pmap with `axis_name` the mean runs over the global batch."""
  joint = jnp.einsum("bi,bj->ij", p1, p2) / p1.shape[0]
  if axis_name is not None:
    joint = jax.lax.pmean(joint, axis_name)
  return 0.5 * (joint + joint.T)


def mutual_information(joint: jax.Array, *, eps: float = 0.0) -> jax.Array:
  """I(c; c') in nats of a `[K, K]` joint distribution, its entries
  clamped below at `eps` (IIC's guard against log 0) and 0 log 0 = 0."""
  joint = jnp.maximum(joint, eps)
  row = jnp.sum(joint, axis=1, keepdims=True)
  col = jnp.sum(joint, axis=0, keepdims=True)
  safe = jnp.where(joint > 0, joint, 1.0)
  return jnp.sum(jnp.where(joint > 0, joint * (
      jnp.log(safe) - jnp.log(jnp.maximum(row, 1e-30)) -
      jnp.log(jnp.maximum(col, 1e-30))), 0.0))


def iic_loss(p1: jax.Array, p2: jax.Array, *, eps: float = 1e-8,
             axis_name: str | None = None) -> tuple[jax.Array, dict]:
  """IIC's loss, -I(c; c') of the joint of `iic_joint(p1, p2)`.

  Returns:
    `(loss, {"loss", "mutual_information"})`; the information is at most
    log K, reached by a one-to-one assignment with uniform marginals.
  """
  mi = mutual_information(iic_joint(p1, p2, axis_name=axis_name), eps=eps)
  return -mi, {"loss": -mi, "mutual_information": mi}
