"""Metrics to `metrics.jsonl` (one JSON object a line, flushed per write)
and to TensorBoard event files (tensorboardX).

A resumed run continues the file from its checkpoint: records of steps after
it (written by the interrupted run before it stopped) are dropped first, and
TensorBoard is told to purge them, so every step is logged once.
"""

import json
import math
import os


class MetricsLogger:
  """Appends metrics records; only enabled on the main process.

  Args:
    workdir: run directory; writes `metrics.jsonl` and `tensorboard/`.
    enabled: False on non-primary processes (then every call is a no-op).
    resume_step: the step training continues from (records after it are
      dropped); None for a fresh run.
  """

  def __init__(self, workdir: str, *, enabled: bool = True,
               resume_step: int | None = None):
    self.enabled = enabled
    self.workdir = workdir
    self.path = os.path.join(workdir, "metrics.jsonl")
    self._resume_step = resume_step
    self._file = None
    self._tb = None
    if enabled and resume_step is not None:
      truncate_after(workdir, resume_step)

  def _open(self) -> None:
    """Opens the files at the first record (a run that logs nothing, e.g. a
    closed-form one, leaves none behind)."""
    self._file = open(self.path, "a", encoding="utf-8")
    try:
      from tensorboardX import SummaryWriter  # pylint: disable=g-import-not-at-top
      self._tb = SummaryWriter(
          os.path.join(self.workdir, "tensorboard"),
          purge_step=(None if self._resume_step is None else
                      self._resume_step + 1))
    except ImportError:
      self._tb = None

  def write(self, step: int, metrics: dict) -> None:
    """One record `{"step": step, **metrics}`; non-finite values as null."""
    if not self.enabled:
      return
    if self._file is None:
      self._open()
    record = {"step": int(step)}
    for k, v in metrics.items():
      v = float(v)
      record[k] = v if math.isfinite(v) else None
      if self._tb is not None and math.isfinite(v):
        self._tb.add_scalar(k, v, int(step))
    self._file.write(json.dumps(record) + "\n")
    self._file.flush()
    if self._tb is not None:
      self._tb.flush()

  def close(self) -> None:
    if self._file is not None:
      self._file.close()
    if self._tb is not None:
      self._tb.close()


def read_metrics(workdir: str) -> list[dict]:
  """Every record of `workdir/metrics.jsonl` (skips a torn last line)."""
  path = os.path.join(workdir, "metrics.jsonl")
  records = []
  if not os.path.exists(path):
    return records
  with open(path, encoding="utf-8") as f:
    for line in f:
      try:
        records.append(json.loads(line))
      except json.JSONDecodeError:
        continue
  return records


def truncate_after(workdir: str, step: int) -> None:
  """Keeps the records of `workdir/metrics.jsonl` up to `step` (and drops a
  torn last line), rewriting the file atomically if anything goes."""
  path = os.path.join(workdir, "metrics.jsonl")
  if not os.path.exists(path):
    return
  with open(path, encoding="utf-8") as f:
    lines = f.readlines()
  kept = []
  for line in lines:
    try:
      record = json.loads(line)
    except json.JSONDecodeError:
      continue
    if isinstance(record, dict) and record.get("step", 0) <= step:
      kept.append(line if line.endswith("\n") else line + "\n")
  if len(kept) == len(lines) and all(l.endswith("\n") for l in lines):
    return
  tmp = f"{path}.{os.getpid()}.tmp"
  with open(tmp, "w", encoding="utf-8") as f:
    f.writelines(kept)
  os.replace(tmp, path)
