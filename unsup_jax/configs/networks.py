"""Encoder/decoder fields shared by the autoencoder-family sections."""

from unsup_jax.configs.schema import Choice, Int, Ints


def fields(*, kinds=("mlp", "conv"), latent_dim=20, hidden=(512,)) -> dict:
  """`kind`, `encoder_hidden`, `decoder_hidden` (dense widths, or conv
  channels) and `latent_dim`."""
  return dict(
      kind=Choice(kinds[0], kinds, doc="encoder/decoder trunks"),
      encoder_hidden=Ints(hidden, min=1, doc="widths (mlp) or channels"),
      decoder_hidden=Ints(tuple(reversed(hidden)), min=1),
      latent_dim=Int(latent_dim, min=1),
  )


PROBE_LABELS = Ints((100, 1000), min=1,
                    doc="linear probes on the codes with n labels; () = off")
