"""Compression: PCA, autoencoders (deep, convolutional, sparse, denoising,
tied linear), semantic hashing, inpainting with a context encoder, and the
studies that compare them (anomaly detection, autoencoders against PCA)."""
