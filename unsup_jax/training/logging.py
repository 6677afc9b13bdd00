"""Metrics to `metrics.jsonl` (one JSON object a line, flushed per write)
and to TensorBoard event files (tensorboardX)."""

import json
import math
import os


class MetricsLogger:
  """Appends metrics records; only enabled on the main process.

  Args:
    workdir: run directory; writes `metrics.jsonl` and `tensorboard/`.
    enabled: False on non-primary processes (then every call is a no-op).
  """

  def __init__(self, workdir: str, *, enabled: bool = True):
    self.enabled = enabled
    self.path = os.path.join(workdir, "metrics.jsonl")
    self._file = None
    self._tb = None
    if enabled:
      self._file = open(self.path, "a", encoding="utf-8")
      try:
        from tensorboardX import SummaryWriter  # pylint: disable=g-import-not-at-top
        self._tb = SummaryWriter(os.path.join(workdir, "tensorboard"))
      except ImportError:
        self._tb = None

  def write(self, step: int, metrics: dict) -> None:
    """One record `{"step": step, **metrics}`; non-finite values as null."""
    if not self.enabled:
      return
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
