"""Diagonal Gaussian and Bernoulli densities, KL divergences, reparameterisation.

Pure functions with explicit PRNG keys: the mathematics of the variational
autoencoder (Kingma & Welling 2014, "Auto-Encoding Variational Bayes",
arXiv:1312.6114; Rezende et al. 2014, arXiv:1401.4082).

Conventions: a diagonal Gaussian is given by its `mean` and `logvar`
(log-variance); a Bernoulli by its `logits`. Log-densities sum over every axis
after the first `batch_ndim` axes, so a `[B, D]` input gives `[B]`.
"""

import math

import jax
import jax.numpy as jnp

_LOG_2PI = math.log(2.0 * math.pi)


def _sum_event(x: jax.Array, batch_ndim: int) -> jax.Array:
  """Sums every axis after the first `batch_ndim` axes."""
  return jnp.sum(x, axis=tuple(range(batch_ndim, x.ndim)))


def reparameterize(key: jax.Array, mean: jax.Array,
                   logvar: jax.Array) -> jax.Array:
  """Draws z = mean + exp(logvar / 2) * eps with eps ~ N(0, I).

  The sample is a differentiable function of (mean, logvar): the
  reparameterisation trick of Kingma & Welling (2014), Section 2.4.

  Args:
    key: PRNG key, used once.
    mean: `[..., D]` posterior means.
    logvar: `[..., D]` posterior log-variances.

  Returns:
    `[..., D]` samples.
  """
  eps = jax.random.normal(key, mean.shape, mean.dtype)
  return mean + jnp.exp(0.5 * logvar) * eps


def gaussian_log_prob(x: jax.Array, mean: jax.Array, logvar: jax.Array, *,
                      batch_ndim: int = 1) -> jax.Array:
  """log N(x; mean, diag(exp(logvar))), summed over the event axes.

  Args:
    x: `[B, ...]` points.
    mean: broadcastable to `x`.
    logvar: broadcastable to `x`.
    batch_ndim: number of leading batch axes not summed over.

  Returns:
    `[B]` (more generally the first `batch_ndim` axes) log-densities.
  """
  x, mean, logvar = jnp.broadcast_arrays(x, mean, logvar)
  lp = -0.5 * (_LOG_2PI + logvar + jnp.square(x - mean) * jnp.exp(-logvar))
  return _sum_event(lp, batch_ndim)


def standard_normal_log_prob(x: jax.Array, *, batch_ndim: int = 1) -> jax.Array:
  """log N(x; 0, I) summed over event axes. `[B, ...]` -> `[B]`."""
  return _sum_event(-0.5 * (_LOG_2PI + jnp.square(x)), batch_ndim)


def bernoulli_log_prob(x: jax.Array, logits: jax.Array, *,
                       batch_ndim: int = 1) -> jax.Array:
  """log Bernoulli(x; sigmoid(logits)), summed over event axes.

  Written as x * logits - softplus(logits), which is exact and stable for any
  logit. For x in [0, 1] that is not binary this is the continuous
  cross-entropy (the usual BCE objective on gray-scale pixels).

  Args:
    x: `[B, ...]` targets in [0, 1].
    logits: broadcastable to `x`.
    batch_ndim: number of leading batch axes not summed over.

  Returns:
    `[B]` log-likelihoods.
  """
  return _sum_event(x * logits - jax.nn.softplus(logits), batch_ndim)


def kl_standard_normal(mean: jax.Array, logvar: jax.Array) -> jax.Array:
  """KL(N(mean, diag(exp(logvar))) || N(0, I)) in closed form.

  KL = 1/2 sum_d (mean_d^2 + exp(logvar_d) - 1 - logvar_d); Kingma & Welling
  (2014), Appendix B.

  Args:
    mean: `[B, D]`.
    logvar: `[B, D]`.

  Returns:
    `[B]` non-negative KL divergences.
  """
  return jnp.sum(kl_standard_normal_units(mean, logvar), axis=-1)


def kl_standard_normal_units(mean: jax.Array, logvar: jax.Array
                             ) -> jax.Array:
  """`kl_standard_normal` unit by unit: `[..., D]` KLs, one per latent
  unit (what free bits and the per-unit diagnostics read)."""
  return 0.5 * (jnp.square(mean) + jnp.exp(logvar) - 1.0 - logvar)


def kl_diag_gaussians(mean_q: jax.Array, logvar_q: jax.Array,
                      mean_p: jax.Array, logvar_p: jax.Array) -> jax.Array:
  """KL(N(mean_q, exp(logvar_q)) || N(mean_p, exp(logvar_p))), diagonal.

  KL = 1/2 sum_d (logvar_p - logvar_q
                  + (exp(logvar_q) + (mean_q - mean_p)^2) / exp(logvar_p) - 1).

  Args:
    mean_q, logvar_q: `[B, D]` parameters of q.
    mean_p, logvar_p: `[B, D]` parameters of p (broadcastable).

  Returns:
    `[B]` non-negative KL divergences.
  """
  var_ratio = jnp.exp(logvar_q - logvar_p)
  mahalanobis = jnp.square(mean_q - mean_p) * jnp.exp(-logvar_p)
  return 0.5 * jnp.sum(var_ratio + mahalanobis - 1.0 - (logvar_q - logvar_p),
                       axis=-1)


def per_example_keys(key: jax.Array, batch_size: int,
                     offset: jax.Array | int = 0) -> jax.Array:
  """One key per example: `fold_in(key, offset + i)` for i in [0, batch_size).

  Keying noise by the example's position in the *global* batch makes a step
  on 8 devices (each with its own `offset`) draw exactly the noise a single
  device would draw for the whole batch.

  Args:
    key: PRNG key of this step.
    batch_size: number of local examples B.
    offset: global index of the first local example.

  Returns:
    `[B]` keys.
  """
  idx = jnp.arange(batch_size) + offset
  return jax.vmap(lambda i: jax.random.fold_in(key, i))(idx)


def _log_ndtr_diff(upper: jax.Array, lower: jax.Array) -> jax.Array:
  """log(Phi(upper) - Phi(lower)) for upper > lower, accurate in both tails.

  Both arguments are reflected into the lower tail (Phi(u) - Phi(l) =
  Phi(-l) - Phi(-u)), where `log_ndtr` keeps full precision, and the
  difference is formed as log Phi(a) + log(1 - Phi(b) / Phi(a)).
  """
  flip = lower > 0
  a = jnp.where(flip, -lower, upper)
  b = jnp.where(flip, -upper, lower)
  log_a, log_b = jax.scipy.special.log_ndtr(a), jax.scipy.special.log_ndtr(b)
  return log_a + jnp.log(-jnp.expm1(jnp.minimum(log_b - log_a, -1e-12)))


def discretized_gaussian_log_prob(x: jax.Array, mean: jax.Array,
                                  log_scale: jax.Array, *, bins: int = 256,
                                  batch_ndim: int = 1) -> jax.Array:
  """log P(x) of pixels on the grid {0, 1/(bins-1), ..., 1}.

  Each pixel's probability is the Gaussian N(mean, exp(log_scale)^2) mass of
  its bin [x - h, x + h], h = 1 / (2 (bins - 1)), with the two edge bins
  extended to -inf and +inf, so the probabilities of the `bins` values sum
  to one: a proper likelihood of 8-bit images, whose negative log in bits
  per dimension is comparable across models (the discretised likelihood of
  Salimans et al. 2017, arXiv:1701.05517, with a Gaussian as in Ho et al.
  2020, arXiv:2006.11239).

  Args:
    x: `[B, ...]` values on the grid (in [0, 1]).
    mean: `[B, ...]` Gaussian means (broadcastable).
    log_scale: log standard deviation (broadcastable).
    bins: number of grid values (256 for 8-bit data).
    batch_ndim: leading axes that are not summed over.

  Returns:
    `[B]` log-probabilities (natural log).
  """
  half = 0.5 / (bins - 1)
  inv_scale = jnp.exp(-log_scale)
  upper = (x - mean + half) * inv_scale
  lower = (x - mean - half) * inv_scale
  log_p = jnp.where(
      x < half, jax.scipy.special.log_ndtr(upper),            # (-inf, x + h]
      jnp.where(x > 1 - half, jax.scipy.special.log_ndtr(-lower),  # [x - h, inf)
                _log_ndtr_diff(upper, lower)))
  return _sum_event(log_p, batch_ndim)


def sample_layers(keys: jax.Array, layer_fn, num_layers: int
                  ) -> tuple[jax.Array, jax.Array, jax.Array]:
  """Draws from a hierarchy of diagonal Gaussians, top layer first.

  Layer l is N(mean_l, exp(logvar_l)) with `(mean_l, logvar_l) =
  layer_fn(l, upper)`, `upper` the samples of layers 0..l-1 concatenated
  (None for the top layer): the layered latents of Gregor et al. (2019,
  "Temporal Difference Variational Auto-Encoder", arXiv:1806.03107) and of
  ladder VAEs. Each example's noise comes from its own key, so a batch
  split over devices draws what one device would.

  Args:
    keys: `[B]` per-example keys (`per_example_keys`).
    layer_fn: `(layer, upper [B, U] | None) -> (mean [B, D_l], logvar)`.
    num_layers: number of layers L.

  Returns:
    `(z, mean, logvar)`, each `[B, D_0 + ... + D_{L-1}]`: the sample and
    the parameters each layer had given the layers above it.
  """
  zs, means, logvars = [], [], []
  for layer in range(num_layers):
    mean, logvar = layer_fn(layer, jnp.concatenate(zs, -1) if zs else None)
    layer_keys = jax.vmap(lambda k, l=layer: jax.random.fold_in(k, l))(keys)
    zs.append(jax.vmap(reparameterize)(layer_keys, mean, logvar))
    means.append(mean)
    logvars.append(logvar)
  return tuple(jnp.concatenate(a, -1) for a in (zs, means, logvars))


def layer_params(layer_fn, z: jax.Array,
                 num_layers: int) -> tuple[jax.Array, jax.Array]:
  """The parameters of every layer of the hierarchy `layer_fn` (see
  `sample_layers`) at a given `z` `[B, D]`: layer l conditioned on z's
  own layers above it. `gaussian_log_prob(z, *layer_params(...))` is then
  log p(z), and `kl_diag_gaussians(q_mean, q_logvar, *layer_params(p, z))`
  the sum over layers of KL(q_l || p_l) given the same upper layers.

  Returns:
    `(mean, logvar)`, each `[B, D]`.
  """
  means, logvars, start = [], [], 0
  for layer in range(num_layers):
    mean, logvar = layer_fn(layer, z[:, :start] if layer else None)
    start += mean.shape[-1]
    means.append(mean)
    logvars.append(logvar)
  if start != z.shape[-1]:
    raise ValueError(f"the layers give {start} dimensions, z has "
                     f"{z.shape[-1]}")
  return jnp.concatenate(means, -1), jnp.concatenate(logvars, -1)
