"""Markdown report and results.json for one run directory.

`write_report` writes `workdir/report.md` (results table, figure links, config)
and `write_results` writes `workdir/results.json`. Both write a temporary file
next to the target and move it into place, so readers never see a partial
file. Neither stamps dates or times: the same inputs give the same bytes.
"""

import collections.abc
import json
import math
import os
import re

import numpy as np

# Config fields named in the summary line, first match per label wins.
_SUMMARY_FIELDS = (
    ("Method", ("method", "method.name", "model.name", "model")),
    ("Dataset", ("dataset", "dataset.name", "data.name", "data.dataset")),
)


def atomic_write(path, text):
  """Writes `text` to `path` through a temporary file and `os.replace`."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = f"{path}.{os.getpid()}.tmp"
  try:
    with open(tmp, "w", encoding="utf-8") as f:
      f.write(text)
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)
  return path


def write_arrays(path, arrays):
  """Writes `{name: array}` to the .npz `path` atomically (a crash leaves the
  previous file, if any); returns `path`."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = f"{path}.{os.getpid()}.tmp.npz"
  try:
    np.savez(tmp, **{k: np.asarray(v) for k, v in arrays.items()})
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)
  return path


def write_text(path, text):
  """Writes `text` to `path` atomically (parents created); returns the
  path."""
  return atomic_write(os.fspath(path), text)


def _scalar(name, value):
  """Returns `value` as a Python int or float (None stays None).

  Args:
    name: the metric's name, for error messages.
    value: a Python or numpy number, bool, 0-d array or None.

  Returns:
    int (also for bools), float or None.

  Raises:
    ValueError: for strings, containers and arrays with more than one value.
  """
  if value is None:
    return None
  if hasattr(value, "__array__") and np.ndim(value) == 0:
    value = np.asarray(value)[()]  # 0-d arrays (numpy, JAX) to numpy scalars.
  if isinstance(value, np.floating):  # Shortest repr: float32 0.1 -> 0.1.
    return float(str(value))
  if not isinstance(value, str) and np.ndim(value) == 0:
    item = value.item() if hasattr(value, "item") else value
    if isinstance(item, bool):
      return int(item)
    if isinstance(item, (int, float)):
      return item
  raise ValueError(f"result {name!r} must be a single number, got "
                   f"{type(value).__name__}: {value!r:.80}")


def _flat_results(results):
  """Returns `{name: int | float | None}` sorted by name, checking flatness."""
  if not isinstance(results, collections.abc.Mapping):
    raise ValueError(f"results must be a mapping, got {type(results).__name__}")
  for name in results:
    if not isinstance(name, str):
      raise ValueError(f"result names must be strings, got {name!r}")
  return {name: _scalar(name, results[name]) for name in sorted(results)}


def write_results(workdir, results):
  """Writes `workdir/results.json`: a flat, sorted JSON object of numbers.

  Numpy scalars become Python numbers and bools become 0/1. Non-finite
  values (NaN, +-inf) are written as `null`, so the file is strict JSON.

  Args:
    workdir: the run directory (created if missing).
    results: flat dict of name -> number.

  Returns:
    The path written.

  Raises:
    ValueError: if a value is not a single number (e.g. a dict or list).
  """
  flat = _flat_results(results)
  flat = {k: (v if v is None or math.isfinite(v) else None)
          for k, v in flat.items()}
  text = json.dumps(flat, indent=2, sort_keys=True, allow_nan=False) + "\n"
  return atomic_write(os.path.join(os.fspath(workdir), "results.json"), text)


def _format_value(value):
  """Formats a metric: ints as ints, floats with 4 significant digits."""
  if value is None:
    return "null"
  return str(value) if isinstance(value, int) else f"{value:.4g}"


def _cell(text):
  """Escapes text for one markdown table cell."""
  return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(header, rows, *, numeric_from: int = 1) -> str:
  """A markdown table: `header` a list of column titles, `rows` lists of
  cells (escaped here); columns from `numeric_from` on are right-aligned."""
  align = ["---" if i < numeric_from else "---:" for i in range(len(header))]
  lines = [header, align] + [list(r) for r in rows]
  return "\n".join("| " + " | ".join(
      c if i == 1 else _cell(c) for c in line) + " |"
                   for i, line in enumerate(lines))


def _config_text(config):
  """Returns `(text, language, as_dict)` for the config block and summary."""
  if config is None:
    return None, "", {}
  as_dict = config.to_dict() if hasattr(config, "to_dict") else config
  if hasattr(config, "to_json_best_effort"):
    text = config.to_json_best_effort(indent=2, sort_keys=True)
  elif isinstance(as_dict, dict):
    text = json.dumps(as_dict, indent=2, sort_keys=True, default=repr)
  else:
    return repr(config), "", {}
  if not isinstance(as_dict, dict):
    as_dict = json.loads(text)
  return text, "json", as_dict


def _lookup(tree, dotted):
  """Returns the string at a dotted path of nested dicts, or None."""
  for part in dotted.split("."):
    if not isinstance(tree, dict) or part not in tree:
      return None
    tree = tree[part]
  return tree if isinstance(tree, str) and tree else None


def _summary(as_dict):
  """Returns the one-line run summary, e.g. "Method: `vae` · Dataset: ..."."""
  parts = []
  for label, paths in _SUMMARY_FIELDS:
    value = next(filter(None, (_lookup(as_dict, p) for p in paths)), None)
    if value is not None:
      parts.append(f"{label}: `{value}`")
  return " · ".join(parts) if parts else "Results, figures and config."


def _figure_link(workdir, path):
  """Returns `path` relative to `workdir`, as a markdown link target.

  A relative path is read against the current directory if it exists there
  (as figure functions return it) and against `workdir` otherwise.
  """
  path = os.fspath(path)
  if not os.path.isabs(path) and not os.path.exists(path):
    path = os.path.join(workdir, path)
  rel = os.path.relpath(os.path.abspath(path), os.path.abspath(workdir))
  rel = rel.replace(os.sep, "/")
  return f"<{rel}>" if any(ch in rel for ch in " ()<>") else rel


def write_report(workdir, *, title, config, results, figures, notes=None):
  """Writes `workdir/report.md` for one run.

  Args:
    workdir: the run directory (created if missing).
    title: report heading.
    config: the run's config: an object with `to_json_best_effort()` or
      `to_dict()` (e.g. an ml_collections ConfigDict), a dict, or None.
    results: flat dict of metric name -> number, shown as a table.
    figures: dict (or `(name, path)` pairs) of figure name -> PNG path; links
      are written relative to `workdir`; None paths are left out.
    notes: optional markdown string or list of them, appended under "Notes".

  Returns:
    The path written.

  Raises:
    ValueError: if `results` is not a flat dict of numbers.
  """
  workdir = os.fspath(workdir)
  flat = _flat_results(results)
  config_text, language, as_dict = _config_text(config)
  lines = [f"# {title}", "", _summary(as_dict), "", "## Results", ""]
  if flat:
    lines += ["| metric | value |", "| --- | ---: |"]
    lines += [f"| {_cell(k)} | {_format_value(v)} |" for k, v in flat.items()]
  else:
    lines.append("_No results recorded._")
  lines += ["", "## Figures", ""]
  items = [(name, path) for name, path in (
      figures.items() if isinstance(figures, collections.abc.Mapping) else
      figures) if path is not None]
  for name, path in items:
    alt = str(name).replace("[", "\\[").replace("]", "\\]")
    lines += [f"### {name}", "", f"![{alt}]({_figure_link(workdir, path)})",
              ""]
  if not items:
    lines += ["_No figures._", ""]
  lines += ["## Config", ""]
  if config_text is None:
    lines += ["_No config._", ""]
  else:
    ticks = max((len(m) for m in re.findall("`+", config_text)), default=0)
    fence = "`" * max(3, ticks + 1)
    lines += [fence + language, config_text.rstrip("\n"), fence, ""]
  if notes:
    lines += ["## Notes", ""]
    for note in [notes] if isinstance(notes, str) else notes:
      lines += [str(note).rstrip("\n"), ""]
  text = "\n".join(lines).rstrip("\n") + "\n"
  return atomic_write(os.path.join(workdir, "report.md"), text)
