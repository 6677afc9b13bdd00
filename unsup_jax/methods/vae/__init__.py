"""Variational autoencoders: the VAE, β-VAE, the capacity-annealed VAE and
the disentangling objectives of the VAE (β-TCVAE, DIP-VAE)."""
