"""Tests for `unsup_jax.viz`."""
