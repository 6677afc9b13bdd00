"""The engine's base config: data, optimiser, training and evaluation cadence.

Experiments start from a method's `config()` (this base plus the method's own
sections, see `configs/vae.py` and its siblings) and change what they need.
Everything here is plain ml_collections: no JAX is imported at config time.

Data streams: a step draws from the stream "train" (the training split,
`data.batch_size` examples per step) unless its method asks for others;
`data.streams` adds named streams, each `{split, batch_size, subset, size,
of}` where `subset` is "all" (the split, or its first `size` examples),
"balanced" (`size` examples, the same number of each class, fixed by the
run's seed) or "rest" (the examples the stream named by `of` leaves out, or
`size` of them).
"""

import ml_collections

from unsup_jax.configs import schema
from unsup_jax.configs.schema import (Bool, Choice, Dict, Float, Int, Parts,
                                      Str)
from unsup_jax.errors import UserError

BINARIZE = ("none", "dynamic", "static")
CORRUPTIONS = ("none", "gaussian", "masking", "salt_and_pepper")
OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine", "linear")
PARALLEL = ("auto", "jit", "pmap", "mesh")
SUBSETS = ("all", "balanced", "rest")

DATA = dict(
    name=Str("mnist5k", doc="mnist5k | digits | tfds:NAME"),
    data_dir=Str("", doc="tfds data_dir ('' = tfds default)"),
    batch_size=Int(100, min=1, doc="global batch of the train stream"),
    num_train=Int(0, min=0, doc="0 = all; > 0 keeps the first n (smoke)"),
    num_test=Int(0, min=0, doc="0 = all"),
    binarize=Choice("none", BINARIZE,
                    doc="dynamic: fresh bits every step; static: drawn once"),
    corruption=Choice("none", CORRUPTIONS,
                      doc="denoising input noise (feature 'corrupted')"),
    corruption_level=Float(0.0, min=0.0,
                           doc="noise std (gaussian) or pixel fraction"),
    streams=Dict(doc="extra named streams {split, batch_size, subset, size, "
                 "of}"),
    index=Bool(False, doc="add feature 'index': each example's row in its "
               "split (methods that keep per-example state)"),
    switch_prob=Float(0.2, min=0.0, max=1.0, doc="switching_digits: the "
                      "chance per step that the digit reverses"),
)
STREAM = dict(
    split=Str("train"),
    batch_size=Int(100, min=1),
    subset=Choice("all", SUBSETS),
    size=Int(0, min=0, doc="0 = every example the subset allows"),
    of=Str("", doc="subset 'rest': the stream whose examples are left out"),
)
OPTIM = dict(
    name=Choice("adam", OPTIMIZERS),
    learning_rate=Float(1e-3, above=0.0),
    weight_decay=Float(0.0, min=0.0, doc="adamw"),
    grad_clip_norm=Float(0.0, min=0.0, doc="0 = no clipping"),
    schedule=Choice("constant", SCHEDULES,
                    doc="learning rate over train.num_steps"),
    warmup_steps=Int(0, min=0, doc="linear warm-up from 0"),
    final_fraction=Float(0.0, min=0.0, max=1.0,
                         doc="cosine/linear: last rate / learning_rate"),
)
TRAIN = dict(
    num_steps=Int(3000, min=0),
    log_every=Int(50, min=1),
    eval_every=Int(1000, min=0, doc="quick test evaluation; 0 = never"),
    checkpoint_every=Int(1000, min=1),
    keep_checkpoints=Int(3, min=1),
    max_nonfinite=Int(20, min=1,
                      doc="stop after this many skipped updates in a row"),
    parallel=Choice("auto", PARALLEL,
                    doc="jit: one device; pmap; mesh: jit over a device mesh"),
    steps_per_call=Int(1, min=1, doc="steps per compiled call (lax.scan)"),
)
EVAL = dict(
    batch_size=Int(100, min=1),
)
# The differentiable augmentations of `ops/augment.py` (its `POLICIES`; a
# test keeps the two equal, so that configs validate without JAX).
AUGMENTATIONS = ("translation", "cutout", "brightness", "contrast",
                 "affine")


def Augment(doc: str) -> schema.Field:  # pylint: disable=invalid-name
  """A policy of `AUGMENTATIONS`, comma-separated, applied in order ("" =
  none)."""
  return Parts("", AUGMENTATIONS, item="augmentation", doc=doc)


SECTIONS = {"data": DATA, "optim": OPTIM, "train": TRAIN, "eval": EVAL}
TOP = dict(method=Str("vae"), seed=Int(0, min=0))


def base_config() -> ml_collections.ConfigDict:
  """Every field the engine reads, with its default."""
  c = schema.section(TOP)
  for name, fields in SECTIONS.items():
    c[name] = schema.section(fields)
  return c


def with_sections(method: str, sections: dict) -> ml_collections.ConfigDict:
  """Base config plus a method's sections, each at its defaults: the body of
  every method module's `config()`."""
  c = base_config()
  c.method = method
  for name, fields in sections.items():
    c[name] = schema.section(fields)
  return c


def require_streams(config, names) -> None:
  """A UserError naming the first of the streams `names` that
  `config.data.streams` lacks (a method that draws them)."""
  for name in names:
    if name not in config.data.streams:
      raise UserError(f"method {config.method!r} draws stream {name!r}; "
                      f"add config.data.streams.{name}")


def check(config: ml_collections.ConfigDict) -> None:
  """Checks the engine's sections (the method's are checked by their own
  module through `configs.validate`)."""
  for name, f in TOP.items():
    if name not in config:
      raise UserError(f"config.{name} is missing")
    schema.check_value(name, config[name], f)
  for name, fields in SECTIONS.items():
    if name not in config:
      raise UserError(f"config.{name} is missing")
    schema.check(config[name], fields, name)
  for name, stream in config.data.streams.items():
    if name == "train":
      raise UserError("config.data.streams.train is the default stream "
                      "(config.data.batch_size); name extra streams otherwise")
    for field in stream:
      if field not in STREAM:
        raise UserError(f"config.data.streams.{name}.{field} is unknown; "
                        f"fields: {', '.join(STREAM)}")
    full = schema.section(STREAM)
    full.update(stream)
    schema.check(full, STREAM, f"data.streams.{name}")
    if full.subset == "rest" and full.of and full.of not in (
        set(config.data.streams) | {"train"}):
      raise UserError(f"config.data.streams.{name}.of names {full.of!r}, "
                      "which is not a stream")
  d = config.data
  if d.corruption in ("masking", "salt_and_pepper") and d.corruption_level > 1:
    raise UserError(f"config.data.corruption_level {d.corruption_level!r} is "
                    f"out of range for {d.corruption!r} (a fraction in [0, 1])")
  if config.optim.schedule != "constant" and config.train.num_steps < 1:
    raise UserError("config.optim.schedule needs config.train.num_steps >= 1")


def stream_config(config: ml_collections.ConfigDict,
                  name: str) -> ml_collections.ConfigDict:
  """The full settings of stream `name` ("train" is the default stream)."""
  s = schema.section(STREAM)
  if name == "train":
    s.batch_size = config.data.batch_size
    return s
  if name not in config.data.streams:
    raise UserError(f"stream {name!r} is not defined; add "
                    f"config.data.streams.{name} (streams: "
                    f"{', '.join(['train', *config.data.streams])})")
  s.update(config.data.streams[name])
  return s


def make_smoke(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """Shrinks a config to a few seconds of work (the tests run these)."""
  config.data.num_train = 256
  config.data.num_test = 64
  config.data.batch_size = 32
  for stream in config.data.streams.values():
    stream.batch_size = min(stream.get("batch_size", 32), 16)
  config.train.num_steps = 6
  for section in config.values():  # later phases (e.g. a prior): a few steps
    if isinstance(section, ml_collections.ConfigDict) and section is not \
        config.train and "num_steps" in section and section.num_steps > 0:
      section.num_steps = 4
  config.train.log_every = 2
  config.train.eval_every = 4
  config.train.checkpoint_every = 3
  config.train.steps_per_call = 1
  config.optim.warmup_steps = min(config.optim.warmup_steps, 2)
  config.eval.batch_size = 32
  return config


def apply_variant(config: ml_collections.ConfigDict,
                  arg: str | None) -> ml_collections.ConfigDict:
  """`--config=experiments/NAME.py:smoke` gives the smoke variant."""
  if arg in (None, ""):
    return config
  if arg == "smoke":
    return make_smoke(config)
  raise UserError(f"unknown config variant {arg!r}; the only variant is "
                  "'smoke'")
