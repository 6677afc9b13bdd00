"""Recurrent layers over a time axis (Flax Linen).

`Recurrent` runs an LSTM (Hochreiter & Schmidhuber 1997, "Long Short-Term
Memory", with the forget gate of Gers et al. 2000) or a GRU (Cho et al.
2014, arXiv:1406.1078) over `[B, T, D]` inputs with `jax.lax.scan`
(`flax.linen.RNN`): one compiled cell, whatever T. Each output at time t
depends on the inputs up to t only, so the outputs are beliefs of a
filter: TD-VAE's belief network (Gregor et al. 2019) and the sequence
baselines use it as is.
"""

import flax.linen as nn
import jax

CELLS = ("lstm", "gru")


def hidden_state(kind: str, carry) -> jax.Array:
  """The hidden state h of a cell's carry (an LSTM's is `(c, h)`)."""
  return carry[1] if kind == "lstm" else carry


def make_cell(kind: str, features: int, name: str | None = None
              ) -> nn.RNNCellBase:
  """The recurrent cell `kind` ("lstm": gates in one fused matmul; "gru")."""
  if kind == "lstm":
    return nn.OptimizedLSTMCell(features, name=name)
  if kind == "gru":
    return nn.GRUCell(features, name=name)
  raise ValueError(f"unknown recurrent cell {kind!r}; choose one of "
                   f"{', '.join(CELLS)}")


class Recurrent(nn.Module):
  """A recurrent layer over the time axis.

  Attributes:
    features: width of the hidden state (and of the outputs).
    cell: "lstm" or "gru".
    unroll: time steps per scan iteration (more compiles a longer loop
      body and can run faster on CPU).
  """
  features: int
  cell: str = "lstm"
  unroll: int = 1

  @nn.compact
  def __call__(self, x: jax.Array, initial_carry=None, *,
               return_carry: bool = False, seq_lengths=None):
    """`[B, T, D]` -> outputs `[B, T, features]` (and the final carry:
    with `seq_lengths` `[B]`, each sequence's carry after its last valid
    step, padding after it ignored)."""
    rnn = nn.RNN(make_cell(self.cell, self.features, name="cell"),
                 return_carry=True, unroll=self.unroll)
    carry, outputs = rnn(x, initial_carry=initial_carry,
                         seq_lengths=seq_lengths)
    return (outputs, carry) if return_carry else outputs
