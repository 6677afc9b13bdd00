"""One run per workdir: a lock file taken before anything is written.

`WORKDIR/.lock` is created atomically (`O_CREAT | O_EXCL`) and holds the
host, process id and start time of its holder; it is removed on every way
out of the run (return, exception, SIGTERM/SIGINT, which the loop turns into
exceptions). A second run on a locked workdir is refused with one line
naming the holder. A lock whose process is gone (same host, no such pid) is
stale: it is taken over with a note on stderr. A lock from another host
cannot be checked from here; the message says how to remove it.

In a multi-process run only process 0 takes the lock (the others write
nothing of their own to the workdir).
"""

import contextlib
import datetime
import json
import os
import socket
import sys

from unsup_jax.errors import UserError

LOCK_FILE = ".lock"


def _alive(pid: int) -> bool:
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:   # exists, owned by someone else
    return True
  return True


def _read(path: str) -> dict:
  try:
    with open(path, encoding="utf-8") as f:
      return json.load(f)
  except (OSError, ValueError):
    return {}


def _create(path: str, record: dict) -> bool:
  """Creates the lock file with `record`; False if it exists."""
  try:
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
  except FileExistsError:
    return False
  with os.fdopen(fd, "w", encoding="utf-8") as f:
    json.dump(record, f)
  return True


def acquire(workdir: str) -> str:
  """Takes the lock of `workdir` (created if missing); returns its path.

  Raises:
    UserError: another live process holds it, or the workdir cannot be
      written.
  """
  path = os.path.join(workdir, LOCK_FILE)
  me = {"host": socket.gethostname(), "pid": os.getpid(),
        "since": datetime.datetime.now().isoformat(timespec="seconds")}
  try:
    os.makedirs(workdir, exist_ok=True)
    for _ in range(3):
      if _create(path, me):
        return path
      holder = _read(path)
      same_host = holder.get("host") == me["host"]
      pid = holder.get("pid")
      if same_host and isinstance(pid, int) and pid == me["pid"]:
        return path   # this process holds it already (a run inside a run)
      if same_host and isinstance(pid, int) and not _alive(pid):
        print(f"note: taking over the stale lock of {workdir} (process "
              f"{pid} on {holder.get('host')}, since {holder.get('since')}, "
              f"is gone)", file=sys.stderr)
        with contextlib.suppress(FileNotFoundError):
          os.remove(path)
        continue
      if not holder:   # being written by its holder this instant
        continue
      where = (f"process {pid} on this host" if same_host else
               f"process {pid} on host {holder.get('host')}")
      raise UserError(
          f"workdir {workdir} is in use by {where} since "
          f"{holder.get('since')}; wait for it, use another --workdir, or "
          f"delete {path} if that run is gone")
  except OSError as e:
    raise UserError(f"cannot write to --workdir {workdir}: "
                    f"{e.strerror or e}") from e
  raise UserError(f"could not take the lock {path}; try again")


def release(path: str) -> None:
  """Removes the lock if this process holds it."""
  holder = _read(path)
  if holder.get("pid") == os.getpid() and holder.get(
      "host") == socket.gethostname():
    with contextlib.suppress(OSError):
      os.remove(path)


@contextlib.contextmanager
def held(workdir: str, *, enabled: bool = True):
  """The lock of `workdir` for the duration of the block."""
  if not enabled:
    yield None
    return
  path = acquire(workdir)
  try:
    yield path
  finally:
    release(path)
