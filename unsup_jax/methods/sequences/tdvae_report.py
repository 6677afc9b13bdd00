"""TD-VAE's report text (`methods/sequences/tdvae_eval.py` computes the
numbers): the table of predictions per jump against the baselines and the
optimal filter, the rollout table, and which steps ahead the results report."""

from unsup_jax.viz import report as viz_report


def horizon_steps(horizon: int, jump: int) -> list[int]:
  """The steps ahead reported in the results: 1, 2, 4, ..., the multiples
  of `jump` and the last."""
  steps = {2 ** i for i in range(horizon.bit_length())}
  return sorted(steps | set(range(jump, horizon + 1, jump)) | {horizon})


LABELS = {"tdvae": "TD-VAE", "kalman": "Kalman filter (optimum)",
          "lstm": "LSTM predictor", "copy": "copy last frame",
          "tdvae_jumpy": "TD-VAE, jumps of D"}


def notes(results: dict, max_jump: int, horizon: int, observe: int) -> list:
  """Report sections: the per-jump table and the rollout table."""
  get = lambda k: results.get(f"test_{k}")
  return [jump_section(get, max_jump),
          rollout_section(get, max_jump, horizon, observe)]


def jump_section(get, max_jump: int) -> str:
  """The per-jump table and what the belief knows (`get(key)` reads the
  results)."""
  models = [m for m in ("tdvae", "kalman", "lstm", "copy")
            if get(f"mse_{m}_d1") is not None]
  best = [m for m in ("tdvae", "lstm") if get(f"best_{m}_d1") is not None]
  spread = get("spread_tdvae_d1") is not None
  rows = [[str(d)] + [f"{get(f'mse_{m}_d{d}'):.4g}" for m in models] +
          [f"{get(f'll_{m}_d{d}'):.4g}" for m in models] +
          [f"{get(f'best_{m}_d{d}'):.4g}" for m in best] +
          ([f"{get(f'spread_tdvae_d{d}'):.3g}",
            f"{get(f'spread_true_d{d}'):.3g}"] if spread else [])
          for d in range(1, max_jump + 1)]
  head = (["jump d"] + [f"MSE {LABELS[m]}" for m in models] +
          [f"log-lik {LABELS[m]}" for m in models] +
          [f"best-of-K MSE {LABELS[m]}" for m in best] +
          (["spread TD-VAE (px)", "spread true (px)"] if spread else []))
  out = ("### Predictions d steps ahead\n\nFrom the belief at every t of "
         "the scored test sequences: mean squared error of the predictive "
         "mean per observed value, and predictive log-likelihood in nats "
         "per frame (TD-VAE's a Monte-Carlo estimate over its samples)"
         + ("; best-of-K: the error of the closest of TD-VAE's K samples "
            "(a deterministic predictor's is its own error)" if best else "")
         + ("; spread: the standard deviation of the sampled positions' "
            "displacement from the current one, beside the generator's "
            "(a deterministic predictor's is 0)" if spread else "")
         + ".\n\n" + viz_report.markdown_table(head, rows))
  if get("mse_ratio_to_kalman") is not None:
    out += (f"\n\nTD-VAE's error is {get('mse_ratio_to_kalman'):.3f}x "
            f"the Kalman filter's (mean over jumps); its log-likelihood "
            f"is {get('ll_gap_to_kalman'):.3f} nats per observation "
            "below the optimum.")
  if get("now_mse_tdvae") is not None:
    out += (f"\n\nThe present from the belief (z ~ p_B(z | b_t), no "
            f"jump, against x_t): error of the mean "
            f"{get('now_mse_tdvae'):.4g}, of the closest sample "
            f"{get('now_best_tdvae'):.4g}, beside "
            f"{get('mse_tdvae_d1'):.4g} one step ahead.")
  if get("filter_mse_tdvae") is not None:
    out += (f"\n\nFiltering (what b_t knows of the position at t, mean "
            f"squared error against the true position): TD-VAE's decoded "
            f"belief {get('filter_mse_tdvae'):.4g}, the Kalman filter "
            f"{get('filter_mse_kalman'):.4g}, the observation itself "
            f"{get('filter_mse_observation'):.4g}.")
  return out


def rollout_section(get, max_jump: int, horizon: int, observe: int) -> str:
  """The rollout table and what the classifier reads in the rollouts."""
  steps = horizon_steps(horizon, max_jump)
  models = [m for m in ("tdvae", "tdvae_jumpy", "lstm", "copy")
            if any(get(f"rollout_mse_{m}_s{s}") is not None for s in steps)]
  fmt = lambda v: "—" if v is None else f"{v:.4g}"
  rows = [[str(s)] + [fmt(get(f"rollout_mse_{m}_s{s}")) for m in models]
          for s in steps]
  out = (f"### Rollouts\n\nMean squared error per value of the mean "
             f"rollout, k steps after the first {observe} frames ('—': not "
             f"reached by that predictor).\n\n" + viz_report.markdown_table(
                 ["k"] + [LABELS[m] for m in models], rows))
  if get("rollout_identity") is not None:
    lstm = get("rollout_identity_lstm")
    out += (f"\n\nThe classifier reads the digit in "
            f"{get('rollout_identity'):.1%} of the sampled rollouts' frames"
            + ("" if lstm is None else
               f" and {lstm:.1%} of the LSTM's predictions")
            + f"; in the true future frames, {get('true_identity'):.1%} "
            "(the classifier's own accuracy).")
    if get("true_direction") is not None:
      out += (f" Sampled rollouts move in the true direction in "
              f"{get('rollout_direction') or 0:.1%} of rollouts (the "
              f"true frames: {get('true_direction'):.1%}).")
  return out
