"""The ways a run ends other than by finishing, each with its exit status
under `launch.py` (which prints the message as one line; tracebacks are
kept for real bugs).

* `UserError`: a mistake in what the user asked for (a bad flag, a missing
  dataset, a checkpoint from another model); exit status 2.
* `Interrupted`: SIGTERM or SIGINT stopped training after a checkpoint was
  saved; exit status 128 + the signal number; the same command resumes.
* `Diverged`: `train.max_nonfinite` non-finite updates in a row; exit 1.
* `NonFiniteResults`: the final evaluation gave NaN or infinite metrics
  (written as null, and named in the report); exit 1.
"""


class UserError(Exception):
  """A one-line, user-correctable problem. Exit status 2."""

  def __init__(self, message: str):
    super().__init__(" ".join(str(message).split()))


class Interrupted(Exception):
  """Training stopped by a signal after saving a checkpoint."""

  def __init__(self, step: int, signum: int, path: str):
    self.step, self.signum = step, signum
    super().__init__(f"interrupted at step {step}; checkpoint saved in {path}; "
                     "run the same command again to resume")


class Diverged(Exception):
  """Too many consecutive non-finite updates."""


class NonFiniteResults(Exception):
  """The final evaluation gave NaN or infinite metrics (written as null)."""
