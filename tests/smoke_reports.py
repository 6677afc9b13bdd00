"""What every experiment's smoke run must leave in its workdir (results,
metrics, report, figures), checked by `tests/test_experiments.py` and, for
the experiments the tour notebook runs, by `tests/test_notebooks.py`."""

import json
import os
import re

import ml_collections
import numpy as np
import pytest

from tests.helpers import ROOT, load_config


def _results_table():
  """`experiments/_results.py` (README's results table): its rows."""
  import importlib.util  # pylint: disable=g-import-not-at-top
  spec = importlib.util.spec_from_file_location(
      "experiments_results", os.path.join(ROOT, "experiments", "_results.py"))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


RESULTS_TABLE = _results_table()
TABLE_ROWS = {r.experiment: r for r in RESULTS_TABLE.ROWS}

# Figures each method family must show (others are checked in their own
# tests under tests/methods/); iterative methods also get training curves.
EXPECTED_FIGURES = {
    "vae": {"reconstructions", "interpolations", "latent_space",
            "prior_samples", "traversals"},
    "autoencoder": {"reconstructions", "interpolations", "latent_space"},
    "vqvae": {"reconstructions", "codebook_usage", "code_maps", "samples"},
    "gan": {"samples", "samples_during_training", "fid_and_losses",
            "interpolations", "nearest_training_images"},
    "pca": {"components", "explained_variance", "reconstructions",
            "latent_space"},
    "inpainting": {"inpainting"},
    "semantic_hashing": {"reconstructions", "interpolations", "latent_space",
                         "precision_recall", "retrieval"},
    "anomaly": {"score_histograms", "auroc_per_digit", "roc_curves"},
    "ae_vs_pca": {"mse_vs_size", "reconstructions"},
    "gan_ablation": {"fid_curves", "final_fid"},
    "gan_inpainting": {"inpainting", "latent_loss"},
    "aae": {"reconstructions", "interpolations", "latent_space",
            "prior_samples"},
    "aae_study": {"prior_samples", "nearest_training_images"},
    "disentanglement_study": {"metrics_colour_sprites"},
    "weak_vae": {"reconstructions", "interpolations", "latent_space",
                 "prior_samples", "traversals"},
    "clustering_study": {"clustering_scores", "confusion",
                         "nearest_to_centres"},
    "dec": {"confusion", "nearest_to_centres", "embedding", "cluster_curves"},
    "n2d": {"confusion", "nearest_to_centres", "embedding"},
    "iic": {"confusion", "nearest_to_centres"},
    "vade": {"confusion", "nearest_to_centres", "embedding", "cluster_curves"},
    "semi_supervised": {"confusion"},
    "label_propagation": {"confusion"},
    "label_budget_study": {"accuracy_vs_labels", "accuracy_vs_unlabelled",
                           "confusion_best",
                           "conditional_generation_best_generative"},
    "factor_vae": {"reconstructions", "interpolations", "latent_space",
                   "prior_samples", "traversals"},
    "tdvae": {"rollouts", "prediction_error", "rollout_error"},
    "word2vec": {"word_map_pca", "word_map_tsne", "similarity_wordsim353",
                 "similarity_simlex999"},
    "sentence_vae": set(),   # the VAE's in EXTRAS; the LM has the engine's
}
# What particular experiments add: (figures, test_ results).
EXTRAS = {
    "sparse_ae_mnist": ({"weights"}, {"loss_sparsity", "mean_activation",
                                      "active_fraction"}),
    "denoising_ae_mnist": ({"denoising"}, {"mse_clean_input"}),
    "linear_ae_mnist": ({"weights"}, set()),
    "dcgan_mnist": ({"class_histogram"}, {"fid", "fid_floor", "kid",
                                          "classes_covered"}),
    "vqvae_mnist": (set(), {"bits_per_dim", "prior_bits_per_code_bottom",
                            "perplexity_bottom", "dead_codes_bottom"}),
    "vqvae2_mnist": (set(), {"perplexity_top", "prior_bits_per_code_top"}),
    "pca_mnist": (set(), {"mse_k2", "mse_k10", "mse_k32", "evr_k10"}),
    "anomaly_mnist": (set(), {"auroc_ae_d0", "auroc_vae_d1",
                              "auroc_vae_mean"}),
    "ae_vs_pca": (set(), {"mse_pca_k2", "mse_linear_ae_k2", "mse_deep_ae_k2",
                          "mse_conv_ae_k2"}),
    "denoising_aae_mnist": ({"denoising"}, {"mse_clean_input", "code_std",
                                            "d_prob_test_codes"}),
    "gan_inpainting_mnist": (set(), {"hole_mse_gan_prior",
                                     "hole_mse_context_encoder",
                                     "hole_mse_mean_fill",
                                     "accuracy_gan_prior",
                                     "accuracy_context_encoder",
                                     "accuracy_original"}),
    **{name: ({"mutual_information", "kl_per_unit"},
              {"mig", "dci_disentanglement", "dci_completeness", "sap",
               "beta_vae_eval_accuracy", "factor_vae_eval_accuracy",
               "modularity", "explicitness"})
       for name in ("beta_vae_dsprites", "beta_tcvae_dsprites",
                    "dip_vae_dsprites", "factor_vae_dsprites",
                    "ada_gvae_dsprites")},
    "disentanglement_study": (set(), {
        "mig_beta_vae_4_colour_sprites_mean", "sap_ada_gvae_colour_sprites_std",
        "mig_colour_sprites_seed_spread", "mig_colour_sprites_model_spread"}),
    "denoising_aae_study": (set(), {"mse_aae", "mse_dae", "fid_aae",
                                    "fid_vae", "kid_aae", "fid_floor"}),
    "clustering_study": (set(), {
        "train_acc_kmeans_pixels_mean", "test_nmi_gmm_pca_std",
        "train_acc_kmeans_ae_codes_mean", "train_ari_gmm_ae_codes_mean",
        "train_acc_dec_mean", "test_acc_idec_std", "train_nmi_vade_mean",
        "train_acc_spectral_pca_mean", "test_acc_umap_gmm_pixels_mean",
        "train_acc_n2d_mean", "test_ari_iic_std"}),
    **{name: (set(), {"acc", "nmi", "ari", "train_acc", "train_nmi",
                      "train_ari", "empty_clusters", "refreshes"})
       for name in ("dec_mnist", "idec_mnist", "vade_mnist")},
    "n2d_mnist": (set(), {"acc", "nmi", "ari", "train_acc", "train_nmi",
                          "train_ari", "empty_clusters"}),
    "iic_mnist": (set(), {"acc", "nmi", "ari", "train_acc", "selected_head",
                          "selected_head_information"}),
    **{name: ({"conditional_generation"}, {
        "accuracy", "error", "labelled_accuracy", "num_labelled",
        "num_unlabelled", "bound_unlabelled", "generative_accuracy"})
       for name in ("m2_mnist", "m1m2_mnist")},
    "m1_mnist": (set(), {"accuracy", "labelled_accuracy"}),
    "supervised_mnist": (set(), {"accuracy", "error", "labelled_accuracy"}),
    "label_budget_study": (set(), {
        "acc_supervised_n20_mean", "acc_fixmatch_n20_std", "acc_m2_u50_mean",
        "acc_label_propagation_u0_mean", "acc_fixmatch_u236_mean"}),
    "gan_ablation": (set(), {"fid_plain_mean", "fid_full_std",
                             "kid_full_mean", "fid_floor"}),
    "tdvae_oscillator": ({"belief"}, {
        "mse_tdvae_d1", "ll_tdvae_d10", "mse_kalman_d1", "ll_kalman_d10",
        "mse_lstm_d10", "mse_copy_d1", "mse_ratio_to_kalman",
        "ll_gap_to_kalman", "rollout_mse_tdvae_s1",
        "rollout_mse_tdvae_jumpy_s20", "loss", "loss_kl", "filter_mse_tdvae",
        "filter_mse_kalman", "filter_mse_observation"}),
    "tdvae_moving_digits": (set(), {
        "mse_tdvae_d4", "ll_lstm_d1", "rollout_mse_tdvae_s10",
        "rollout_mse_lstm_s4", "rollout_identity", "rollout_direction",
        "rollout_identity_jumpy", "true_identity", "true_direction"}),
    "tdvae_switching_digits": (set(), {
        "mse_tdvae_d4", "mse_lstm_d4", "ll_tdvae_d4", "ll_lstm_d4",
        "best_tdvae_d4", "best_lstm_d4", "spread_tdvae_d4", "now_mse_tdvae",
        "spread_true_d4", "rollout_identity", "rollout_identity_lstm",
        "true_identity"}),
    "tdvae_bouncing_balls": (set(), {"mse_tdvae_d4", "ll_copy_d1",
                                     "rollout_mse_copy_s10"}),
    **{name: (set(), {"wordsim353_spearman", "simlex999_spearman",
                      "wordsim353_oov_percent", "analogy_accuracy",
                      "analogy_oov_percent", "epochs", "vocab_size"})
       for name in ("word2vec_enwiki", "word2vec_lee")},
    **{name: ({"kl_annealing", "collapse_diagnostics", "kl_per_unit"},
              {"nll", "ppl", "nll_elbo", "ppl_elbo", "loss_kl",
               "active_units", "mutual_info", "iwae_samples"})
       for name in ("sentence_vae_enwiki", "sentence_vae_no_annealing")},
    "lstm_lm_enwiki": (set(), {"nll", "ppl", "words_per_sentence"}),
}



def total_steps(config):
  """Training steps of every phase (sections with `num_steps`, as in
  `config.make_smoke`)."""
  return sum(s.num_steps for s in config.values()
             if isinstance(s, ml_collections.ConfigDict) and "num_steps" in s)


def _check_accuracy_by_run(path: str, written: dict) -> None:
  """The study's table of runs holds each seed's accuracy: the mean over
  the seeds of every label count is the results' (unlabelled curve: the
  runs at `unlabelled_labels` labels)."""
  with open(path) as f:
    header, *lines = [l.split("\t") for l in f.read().splitlines()]
  assert header == ["run", "model", "labels", "unlabelled", "seed",
                    "accuracy"]
  by_point = {}
  for _, model, n, u, _, acc in lines:
    if u == "rest":
      by_point.setdefault(f"{model}_n{n}", []).append(float(acc))
  assert by_point
  for point, accs in by_point.items():
    if f"test_acc_{point}_mean" in written:
      assert written[f"test_acc_{point}_mean"] == pytest.approx(
          np.mean(accs), abs=1e-4)


def check_smoke_report(name: str, workdir: str,
                       results: dict | None = None) -> None:
  """Asserts that the smoke run of experiment `name` in `workdir` wrote
  what its family must: results (the same as `results`, the run's return
  value, when given), every training step's metrics, the report and its
  figures."""
  config = load_config(name)
  with open(os.path.join(workdir, "results.json")) as f:
    written = json.load(f)
  assert written and all(isinstance(v, (int, float)) or v is None
                         for v in written.values())
  if results is not None:
    assert results.keys() == written.keys()
  iterative = os.path.exists(os.path.join(workdir, "metrics.jsonl"))
  if iterative:
    assert written["steps"] == total_steps(config)
    lines = open(os.path.join(workdir, "metrics.jsonl")).read().splitlines()
    steps = [json.loads(l)["step"] for l in lines]
    assert steps and steps[-1] == total_steps(config)
  if "test_mse" in written:
    assert np.isfinite(written["test_mse"]) and written["test_mse"] < 1
  if config.method == "vae":
    assert written["test_iwae_samples"] == config.vae.iwae_samples
    # The importance-weighted bound is at least as tight as the ELBO.
    assert -written["test_nll"] >= written["test_elbo"] - 1.0
  if config.method == "sentence_vae":   # the decoded sentences, as text
    files = ["samples.txt"] + (["reconstructions.txt", "homotopies.txt"]
                               if config.svae.model == "vae" else [])
    for f in files:
      assert os.path.getsize(os.path.join(workdir, f)) > 0, f
  if config.method == "label_budget_study":   # every seed's accuracy
    _check_accuracy_by_run(os.path.join(workdir, "accuracy_by_run.tsv"),
                           written)

  report = open(os.path.join(workdir, "report.md")).read()
  links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
  shown = {os.path.splitext(os.path.basename(l))[0] for l in links}
  assert shown, "the report shows no figure"
  extra_figures, extra_results = EXTRAS.get(name, (set(), set()))
  assert EXPECTED_FIGURES[config.method] | extra_figures <= shown
  if config.method == "autoencoder":   # exactly these, nothing missing
    assert shown == (EXPECTED_FIGURES["autoencoder"] | extra_figures |
                     {"training_curves"})
  assert {f"test_{k}" for k in extra_results} <= set(written)
  assert ("training_curves" in shown) == iterative
  for link in links:
    assert os.path.getsize(os.path.join(workdir, link)) > 1000
  for key in written:
    assert key in report
  if name in TABLE_ROWS:   # README's results table reads these
    assert set(TABLE_ROWS[name].keys(smoke=True)) <= set(written), (
        set(TABLE_ROWS[name].keys(smoke=True)) - set(written))
