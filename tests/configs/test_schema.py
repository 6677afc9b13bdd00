"""Config sections: every numeric field checked the same way (type, finite,
range), choices that agree with the code that reads them, one-line errors."""

import math

import pytest

from unsup_jax import configs
from unsup_jax.configs import base, schema
from unsup_jax.errors import UserError


@pytest.mark.parametrize("method", configs.method_names())
def test_every_method_config_is_valid_with_its_defaults(method):
  m = configs.module(method)
  c = m.config()
  assert c.method == method
  configs.validate(c)
  configs.validate(configs.variant(m.config(), "smoke"))
  assert set(m.SECTIONS) <= set(c)


def _numeric_fields():
  """(method, section, field, Field) of every number in every section."""
  out = [("vae", name, field, f) for name, fields in base.SECTIONS.items()
         for field, f in fields.items()]
  for method in configs.method_names():
    for name, fields in configs.module(method).SECTIONS.items():
      out += [(method, name, field, f) for field, f in fields.items()]
  return [o for o in out if o[3].kind in ("int", "float")]


@pytest.mark.parametrize("method,section,field,f", _numeric_fields(),
                         ids=lambda x: x if isinstance(x, str) else "")
def test_every_numeric_field_rejects_nan_wrong_types_and_out_of_range(
    method, section, field, f):
  bad = [float("nan"), float("inf"), "3", True]
  if f.kind == "int":
    bad.append(1.5)
  lowest = f.min if f.min is not None else f.above
  if lowest is not None:
    bad.append(lowest - 1)
  if f.above is not None:
    bad.append(f.above)
  highest = f.max if f.max is not None else f.below
  if highest is not None:
    bad.append(highest + 1)
  for value in bad:
    c = configs.module(method).config()
    c[section]._fields[field] = value  # bypass ml_collections' own typing
    with pytest.raises(UserError, match=f"config.{section}.{field}") as err:
      configs.validate(c)
    assert "\n" not in str(err.value)


def test_choices_agree_with_the_code_that_reads_them():
  from unsup_jax.configs import autoencoder, gan, inpainting, \
      semantic_hashing  # pylint: disable=g-import-not-at-top
  from unsup_jax.losses import adversarial, sparsity  # pylint: disable=g-import-not-at-top
  from unsup_jax.models import autoencoder as ae_models, hashing  # pylint: disable=g-import-not-at-top
  from unsup_jax.ops import corruption, masks  # pylint: disable=g-import-not-at-top
  from unsup_jax.training import parallel  # pylint: disable=g-import-not-at-top
  assert base.CORRUPTIONS == corruption.KINDS
  assert inpainting.MASKS == masks.KINDS
  assert set(inpainting.ADVERSARIAL_LOSSES) < set(adversarial.LOSSES)
  assert gan.LOSSES == tuple(adversarial.LOSSES)
  assert autoencoder.SPARSITY == sparsity.KINDS
  assert autoencoder.CODE_ACTIVATIONS == tuple(ae_models.CODE_ACTIVATIONS)
  assert semantic_hashing.CODE_MODES == hashing.CODE_MODES
  assert base.PARALLEL == parallel.MODES


def test_schema_checks_tuples_and_strings():
  ints = schema.Ints((1, 2), min=1)
  schema.check_value("x", (3, 4), ints)
  for bad in ((0,), (1.5,), 3, (True,)):
    with pytest.raises(UserError, match="config.x"):
      schema.check_value("x", bad, ints)
  strs = schema.Strs(("a",), choices=("a", "b"))
  schema.check_value("y", ("b", "a"), strs)
  with pytest.raises(UserError, match="unknown \\['c'\\]"):
    schema.check_value("y", ("c",), strs)
  with pytest.raises(UserError, match=r"several: --config.y=\"\('a','b'\)"):
    schema.check_value("y", ("a,b",), strs)   # a flag's `a,b`: one string
  with pytest.raises(UserError, match="choose one of"):
    schema.check_value("z", "q", schema.Choice("a", ("a", "b")))
  assert math.isfinite(schema.Float(1).default)


def test_unknown_method_and_missing_section():
  c = configs.module("vae").config()
  c.method = "kmeans"
  with pytest.raises(UserError, match="config.method 'kmeans' is unknown"):
    configs.validate(c)
  c = configs.module("vae").config()
  c.method = "gan"
  with pytest.raises(UserError, match="config.gan is missing"):
    configs.validate(c)


@pytest.mark.parametrize("name", ["label_propagation_mnist", "vat_mnist"])
def test_a_missing_stream_is_named(name):
  from tests.helpers import load_config  # pylint: disable=g-import-not-at-top
  c = load_config(name, None)
  del c.data.streams["unlabelled"]
  with pytest.raises(UserError, match=f"method {c.method!r} draws stream "
                     "'unlabelled'; add config.data.streams.unlabelled"):
    configs.validate(c)
