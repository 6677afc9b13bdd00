"""Adversarial learning: GANs (DCGAN with a choice of losses and
stabilisers), adversarial autoencoders, GAN-prior inpainting, and the
studies around them (the stabiliser ablation, the denoising AAE study)."""
