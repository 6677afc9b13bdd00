"""The disentanglement study's sub-run configs (its smoke run is in
tests/test_experiments.py)."""

from tests.helpers import load_config
from unsup_jax.methods.disentanglement import disentanglement_study as study


def test_sub_runs_take_their_model_dataset_seed_and_budget():
  config = load_config("disentanglement_study", None)
  sub = study.sub_config(config, "beta_vae_16", "colour_sprites", 2)
  assert sub.method == "vae" and sub.vae.beta == 16.0
  assert sub.data.name == "colour_sprites" and sub.seed == 2
  assert sub.data.num_train == config.study.num_train
  assert sub.train.num_steps == config.study.num_steps
  assert sub.vae.disentangle_scale == config.study.disentangle_scale
  weak = study.sub_config(config, "ada_gvae", "dsprites_procedural", 0)
  assert weak.method == "weak_vae"
  assert weak.data.name == "dsprites_procedural_pairs"
  assert weak.data.num_train == config.study.num_train // 2   # pairs
  tc = study.sub_config(config, "beta_tcvae", "dsprites_procedural", 1)
  assert tc.vae.objective == "tcvae"
  assert study.run_name("ada_gvae", "colour_sprites", 1) == \
      "ada_gvae_colour_sprites_seed1"
