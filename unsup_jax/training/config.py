"""The base experiment config and its validation.

Experiments in `experiments/` start from `base_config()` and change what they
need. `validate` turns every impossible setting into a one-line `UserError`
before anything is written to the workdir.
"""

import ml_collections

from unsup_jax.errors import UserError

OPTIMIZERS = ("adam", "adamw", "sgd")


def base_config() -> ml_collections.ConfigDict:
  """Every field the engine reads, with sensible defaults."""
  c = ml_collections.ConfigDict()
  c.method = "vae"
  c.seed = 0

  c.data = ml_collections.ConfigDict()
  c.data.name = "mnist5k"          # mnist5k | digits | tfds:NAME
  c.data.data_dir = ""             # tfds data_dir ("" = tfds default)
  c.data.binarize = "none"         # none | dynamic | static
  c.data.batch_size = 100          # global batch, over all devices/processes
  c.data.num_train = 0             # 0 = all; >0 truncates (smoke runs)
  c.data.num_test = 0
  c.data.corruption = "none"       # none | gaussian | masking | salt_and_pepper
  c.data.corruption_level = 0.0    # noise std (gaussian) or pixel fraction

  c.model = ml_collections.ConfigDict()
  c.model.kind = "mlp"             # mlp | conv
  c.model.encoder_hidden = (512,)
  c.model.decoder_hidden = (512,)
  c.model.latent_dim = 20
  c.model.likelihood = "bernoulli"  # bernoulli | gaussian (VAE); bce | mse (AE)
  c.model.code_activation = "linear"  # linear | sigmoid | relu (AE code)

  c.loss = ml_collections.ConfigDict()
  c.loss.beta = 1.0                # KL weight (beta-VAE)
  c.loss.kl_warmup_steps = 0       # linear KL warm-up from 0 to beta
  c.loss.capacity_max = 0.0        # > 0: Burgess et al. capacity objective
  c.loss.capacity_steps = 0        # steps to raise C from 0 to capacity_max
  c.loss.gamma = 1000.0            # weight of |KL - C|
  c.loss.sparsity = "none"         # none | l1 | l2 | kl (AE code penalty)
  c.loss.sparsity_weight = 0.0
  c.loss.sparsity_target = 0.05    # rho of the KL sparsity penalty

  c.optim = ml_collections.ConfigDict()
  c.optim.name = "adam"
  c.optim.learning_rate = 1e-3
  c.optim.weight_decay = 0.0
  c.optim.grad_clip_norm = 0.0     # 0 = no clipping

  c.train = ml_collections.ConfigDict()
  c.train.num_steps = 3000
  c.train.log_every = 50
  c.train.eval_every = 1000        # quick test-set evaluation during training
  c.train.checkpoint_every = 1000
  c.train.keep_checkpoints = 3
  c.train.max_nonfinite = 20       # stop after this many skipped steps in a row
  c.train.parallel = "auto"        # auto | jit | pmap

  c.eval = ml_collections.ConfigDict()
  c.eval.iwae_samples = 1000       # k of the final importance-sampled NLL
  c.eval.quick_iwae_samples = 50   # k during training
  c.eval.iwae_chunk = 100          # samples per chunk (memory)
  c.eval.batch_size = 100
  c.eval.probe_labels = (100, 1000)  # linear probes on codes; () = off
  return c


def _positive(config, path: str) -> None:
  value = config
  for part in path.split("."):
    value = value[part]
  if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
    raise UserError(f"config.{path} must be a positive number, got {value!r}")


def validate(config: ml_collections.ConfigDict) -> None:
  """Raises UserError naming the first impossible setting."""
  for path in ("data.batch_size", "train.num_steps", "train.log_every",
               "train.eval_every", "train.checkpoint_every",
               "train.keep_checkpoints", "train.max_nonfinite",
               "model.latent_dim", "optim.learning_rate",
               "eval.iwae_samples", "eval.quick_iwae_samples",
               "eval.iwae_chunk", "eval.batch_size"):
    _positive(config, path)
  for path in ("data.num_train", "data.num_test", "loss.beta",
               "loss.capacity_max", "loss.capacity_steps",
               "loss.kl_warmup_steps", "optim.grad_clip_norm"):
    section, name = path.split(".")
    if config[section][name] < 0:
      raise UserError(f"config.{path} must be >= 0, got "
                      f"{config[section][name]!r}")
  if config.optim.name not in OPTIMIZERS:
    raise UserError(f"config.optim.name {config.optim.name!r} is unknown; "
                    f"choose one of {', '.join(OPTIMIZERS)}")
  if config.eval.iwae_samples % min(config.eval.iwae_chunk,
                                    config.eval.iwae_samples):
    raise UserError("config.eval.iwae_samples must be a multiple of "
                    "config.eval.iwae_chunk")


def make_smoke(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """Shrinks a config to a few seconds of work (the tests run these)."""
  config.data.num_train = 256
  config.data.num_test = 64
  config.data.batch_size = 32
  config.train.num_steps = 6
  for section in config.values():  # later phases (e.g. a prior): a few steps
    if isinstance(section, ml_collections.ConfigDict) and section is not \
        config.train and "num_steps" in section and section.num_steps > 0:
      section.num_steps = 4
  config.train.log_every = 2
  config.train.eval_every = 4
  config.train.checkpoint_every = 3
  config.eval.iwae_samples = 10
  config.eval.quick_iwae_samples = 4
  config.eval.iwae_chunk = 5
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
