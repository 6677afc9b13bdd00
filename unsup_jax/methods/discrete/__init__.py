"""Discrete latents: VQ-VAE and VQ-VAE-2 with their PixelCNN priors."""
