"""The methods, one package per family of the lecture on learning without
labels:

  compression/       PCA, autoencoders, semantic hashing, inpainting, the
                     anomaly and AE-vs-PCA studies
  vae/               the VAE, β-VAE, capacity, β-TCVAE and DIP-VAE objectives
  disentanglement/   FactorVAE, Ada-GVAE, the disentanglement study
  discrete/          VQ-VAE and VQ-VAE-2 with PixelCNN priors
  adversarial/       GANs, adversarial autoencoders, GAN-prior inpainting,
                     the stabiliser ablation, the denoising AAE study
  sequences/         TD-VAE
  text/              word2vec, the sentence VAE
  clustering/        DEC, IDEC, VaDE, the clustering study
  semi_supervised/   M1, M2, M1+M2, VAT, FixMatch, label spreading, the
                     label-budget study

A method NAME is the module `FAMILY/NAME.py` whose `build(config, spec)`
returns a `training.contract.Method` (or `Study`); `registry` finds it by
name (`config.method`), its config section is `unsup_jax/configs/NAME.py`.
Each follows one template (`vae/vae.py` is the one to copy): top-level
pure functions (`init`, each `*_step`, `evaluate`, `figures`,
`report_notes`) taking what they need as arguments, and a short `build`
that binds them with `functools.partial`. Families build on the pure
functions of `compression/autoencoder.py` and `vae/vae.py` (DEC
pre-trains an autoencoder, M1 is a VAE); evaluation shared by several
families is in `unsup_jax/eval/`, Flax modules in `unsup_jax/models/`.
"""
