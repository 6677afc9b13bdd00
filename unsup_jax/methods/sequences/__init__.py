"""Sequences: TD-VAE beside an LSTM predictor and, on linear-Gaussian data,
the Kalman filter."""
