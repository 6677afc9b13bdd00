"""User-facing errors.

A `UserError` is a mistake in what the user asked for (a bad flag, a missing
dataset, a checkpoint from another model). `launch.py` prints its message as
one line and exits with status 2; tracebacks are kept for real bugs.
"""


class UserError(Exception):
  """A one-line, user-correctable problem. Exit status 2."""

  def __init__(self, message: str):
    super().__init__(" ".join(str(message).split()))
