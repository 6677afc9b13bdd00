"""A run's data, whatever its kind: `load(config, workdir)`.

Every kind implements the engine's data protocol (`training.contract.Data`:
`view`, `streams`, `transform`, `spec()`, `iterator(name)`,
`stream_index(name)`):

* skip-gram pairs of a text corpus (the config has a `skipgram` section):
  `skipgram.SkipGramData`, the encoded corpus kept in `workdir/text/`;
* padded sentences of a text corpus (a `sentences` section):
  `streams.Data` of `sentences.load`;
* images and sequences (any other config): `streams.Data` of the dataset
  `config.data` names (`sources.load`).
"""

import ml_collections

from unsup_jax.data import sentences, skipgram, sources, streams
from unsup_jax.data.dataset import Dataset


def load_dataset(config: ml_collections.ConfigDict) -> Dataset:
  """The dataset `config.data` names, truncated as it asks."""
  d = config.data
  return sources.load(d.name, data_dir=d.data_dir or None,
                      num_train=d.num_train or None,
                      num_test=d.num_test or None,
                      switch_prob=d.switch_prob)


def load(config: ml_collections.ConfigDict, workdir: str | None = None):
  """The run's data (see the module docstring)."""
  if "skipgram" in config:
    return skipgram.load(config, workdir)
  if "sentences" in config:
    return streams.prepare(sentences.load(config), config)
  return streams.prepare(load_dataset(config), config)
