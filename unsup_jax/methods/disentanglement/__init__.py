"""Disentanglement: FactorVAE, the weakly supervised Ada-GVAE / Ada-ML-VAE,
and the study of every model, dataset, seed and metric."""
