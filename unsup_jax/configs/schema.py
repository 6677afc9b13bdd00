"""Declared config fields: default, type, range and choices in one place.

A config section is declared as `{name: Field}`; `section(fields)` gives its
ConfigDict of defaults and `check(section, fields, path)` the one-line
`UserError` for the first value that is of the wrong type, not finite, out of
its range or not among its choices. Every numeric field of every section goes
through the same check, so a method declares its limits once and never
writes its own copy of them.

Integers are counts: an int field takes Python ints only (a bool or a float
is refused). Float fields take ints and floats, never NaN or infinities.
"""

import dataclasses
import math
from typing import Any, Mapping

import ml_collections

from unsup_jax.errors import UserError

KINDS = ("int", "float", "bool", "str", "choice", "parts", "ints", "strs",
         "dict")


@dataclasses.dataclass(frozen=True)
class Field:
  """One config field.

  Attributes:
    default: its default value.
    kind: one of KINDS ("ints", "strs" are tuples of them; "parts" a
      comma-separated string of choices, e.g. "translation,cutout"; "dict"
      a nested ConfigDict left to its owner).
    min: inclusive lower bound (numbers, or each element of a tuple).
    max: inclusive upper bound.
    above: exclusive lower bound.
    below: exclusive upper bound.
    choices: allowed values ("choice", "parts", "strs").
    doc: one line shown in errors and docs.
    item: what one part is called in errors ("parts").
  """
  default: Any
  kind: str
  min: float | None = None
  max: float | None = None
  above: float | None = None
  below: float | None = None
  choices: tuple | None = None
  doc: str = ""
  item: str = "part"


def Int(default: int, *, min=None, max=None, doc="") -> Field:  # pylint: disable=redefined-builtin,invalid-name
  return Field(default, "int", min=min, max=max, doc=doc)


def Float(default: float, *, min=None, max=None, above=None, below=None,  # pylint: disable=redefined-builtin,invalid-name
          doc="") -> Field:
  return Field(float(default), "float", min=min, max=max, above=above,
               below=below, doc=doc)


def Bool(default: bool, *, doc="") -> Field:  # pylint: disable=invalid-name
  return Field(bool(default), "bool", doc=doc)


def Str(default: str, *, doc="") -> Field:  # pylint: disable=invalid-name
  return Field(default, "str", doc=doc)


def Choice(default: str, choices, *, doc="") -> Field:  # pylint: disable=invalid-name
  return Field(default, "choice", choices=tuple(choices), doc=doc)


def Ints(default, *, min=None, max=None, doc="") -> Field:  # pylint: disable=redefined-builtin,invalid-name
  return Field(tuple(default), "ints", min=min, max=max, doc=doc)


def Strs(default, *, choices=None, doc="") -> Field:  # pylint: disable=invalid-name
  """A tuple of strings (each among `choices` when given)."""
  return Field(tuple(default), "strs", choices=choices and tuple(choices),
               doc=doc)


def Parts(default: str, choices, *, item: str = "part", doc="") -> Field:  # pylint: disable=invalid-name
  """A comma-separated string of choices ("" = none), e.g. a policy of
  augmentations applied in order."""
  return Field(default, "parts", choices=tuple(choices), doc=doc, item=item)


def Dict(default: Mapping | None = None, *, doc="") -> Field:  # pylint: disable=invalid-name
  return Field(dict(default or {}), "dict", doc=doc)


def section(fields: Mapping[str, Field]) -> ml_collections.ConfigDict:
  """A ConfigDict holding every field's default."""
  c = ml_collections.ConfigDict()
  for name, field in fields.items():
    if field.kind == "dict":
      c[name] = ml_collections.ConfigDict(field.default)
    else:
      c[name] = field.default
  return c


def _is_int(v) -> bool:
  return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
  return isinstance(v, (int, float)) and not isinstance(v, bool)


def _range_text(f: Field) -> str:
  lo = (f"> {f.above:g}" if f.above is not None else
        f">= {f.min:g}" if f.min is not None else None)
  hi = (f"< {f.below:g}" if f.below is not None else
        f"<= {f.max:g}" if f.max is not None else None)
  return " and ".join(p for p in (lo, hi) if p)


def _in_range(v, f: Field) -> bool:
  return not ((f.min is not None and v < f.min) or
              (f.max is not None and v > f.max) or
              (f.above is not None and v <= f.above) or
              (f.below is not None and v >= f.below))


def _number_error(path: str, value, f: Field, integer: bool) -> str | None:
  what = "an integer" if integer else "a finite number"
  if integer and not _is_int(value):
    return f"config.{path} must be {what}, got {value!r}"
  if not integer and (not _is_number(value) or not math.isfinite(value)):
    return f"config.{path} must be {what}, got {value!r}"
  if not _in_range(value, f):
    return f"config.{path} must be {_range_text(f)}, got {value!r}"
  return None


def _parts_error(path: str, value, f: Field) -> str | None:
  if not isinstance(value, str):
    return f"config.{path} must be a string, got {value!r}"
  unknown = [p.strip() for p in value.split(",")
             if p.strip() and p.strip() not in f.choices]
  if unknown:
    return (f"config.{path}: unknown {f.item} {unknown[0]!r}; choose from "
            f"{', '.join(f.choices)}")
  return None


def check_value(path: str, value, f: Field) -> None:
  """Raises UserError when `value` does not fit field `f` at `path`."""
  error = None
  if f.kind in ("int", "float"):
    error = _number_error(path, value, f, f.kind == "int")
  elif f.kind == "bool":
    if not isinstance(value, bool):
      error = f"config.{path} must be True or False, got {value!r}"
  elif f.kind == "str":
    if not isinstance(value, str):
      error = f"config.{path} must be a string, got {value!r}"
  elif f.kind == "choice":
    if value not in f.choices:
      error = (f"config.{path} {value!r} is unknown; choose one of "
               f"{', '.join(map(str, f.choices))}")
  elif f.kind == "parts":
    error = _parts_error(path, value, f)
  elif f.kind == "ints":
    if not isinstance(value, (tuple, list)):
      error = f"config.{path} must be a tuple of numbers, got {value!r}"
    else:
      for v in value:
        error = _number_error(path, v, f, True)
        if error:
          error = f"{error} (in {tuple(value)!r})"
          break
  elif f.kind == "strs":
    if not isinstance(value, (tuple, list)) or not all(
        isinstance(v, str) for v in value):
      error = f"config.{path} must be a tuple of strings, got {value!r}"
    elif f.choices is not None and not set(value) <= set(f.choices):
      unknown = sorted(set(value) - set(f.choices))
      error = (f"config.{path}: unknown {unknown}; choose among "
               f"{', '.join(f.choices)}")
      if any("," in v for v in unknown):   # `--config.x=a,b` is one string
        error += f" (several: --config.{path}=\"('a','b')\")"
  if error:
    raise UserError(error)


def check(c: ml_collections.ConfigDict, fields: Mapping[str, Field],
          path: str) -> None:
  """Checks every declared field of section `c` (its path is `path`)."""
  if not isinstance(c, (ml_collections.ConfigDict, dict)):
    raise UserError(f"config.{path} must be a section of fields, got {c!r}")
  for name, f in fields.items():
    if name not in c:
      raise UserError(f"config.{path}.{name} is missing")
    if f.kind != "dict":
      check_value(f"{path}.{name}", c[name], f)
