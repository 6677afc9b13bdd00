"""Text: word2vec (skip-gram with negative sampling) and the sentence VAE
beside its language model."""
