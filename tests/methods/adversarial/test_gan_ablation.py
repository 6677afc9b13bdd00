"""The GAN ablation: its variants, what each switches off, and errors."""

import pytest

from tests.helpers import load_config
from unsup_jax import configs
from unsup_jax.configs import gan as gan_config
from unsup_jax.configs.gan_ablation import STABILISERS
from unsup_jax.errors import UserError
from unsup_jax.methods.adversarial import gan_ablation


def test_variants_add_one_and_leave_one_out_without_duplicates():
  table = gan_ablation.variants(("ema", "spectral_norm", "ttur"))
  every = frozenset({"ema", "spectral_norm", "ttur"})
  assert table["plain"] == frozenset() and table["full"] == every
  for s in every:
    assert table[f"plus_{s}"] == {s}
    assert table[f"full_no_{s}"] == every - {s}
  assert len(table) == 2 + 2 * 3
  # With one stabiliser, plus_x is the full recipe and full_no_x is plain.
  assert gan_ablation.variants(("ema",)) == {"plain": frozenset(),
                                             "full": {"ema"}}
  two = gan_ablation.variants(("ema", "ttur"))
  assert len(set(two.values())) == len(two) == 4
  # Stabilisers the recipe lacks are only added alone to plain.
  more = gan_ablation.variants(("ema", "r1"), ("spectral_norm",))
  assert more["plus_spectral_norm"] == {"spectral_norm"}
  assert more["full"] == {"ema", "r1"}
  assert "full_no_spectral_norm" not in more


def _recipe_config(**gan_fields):
  """A study whose recipe is dcgan_mnist with `gan_fields` set."""
  config = load_config("gan_ablation")
  full = load_config("dcgan_mnist", None)
  full.gan.update(gan_fields)
  return config, full


def test_each_variant_switches_off_exactly_the_stabilisers_it_lacks():
  config, full = _recipe_config(ema_decay=0.99, ema_start=10,
                                spectral_norm=True, real_label=0.9)
  config.ablation.stabilisers = ("ema", "spectral_norm", "label_smoothing")
  for name, on in gan_ablation.variants(config.ablation.stabilisers).items():
    sub = gan_ablation.variant_config(config, full, on, seed=2)
    assert sub.seed == 2 and sub.train.num_steps == config.ablation.num_steps
    for s in config.ablation.stabilisers:
      for f in STABILISERS[s]:
        want = full.gan[f] if s in on else gan_config.FIELDS[f].default
        assert sub.gan[f] == want, (name, f)
    # Everything else is the recipe's.
    assert sub.gan.loss == full.gan.loss
    assert sub.gan.g_channels == full.gan.g_channels


def test_a_stabiliser_tried_alone_takes_its_paper_values():
  config, full = _recipe_config(ema_decay=0.99, ema_start=10)
  config.ablation.update(stabilisers=("ema",), also_alone=("spectral_norm",
                                                           "ttur"))
  sub = gan_ablation.variant_config(config, full, frozenset({"ttur"}), 0)
  assert (sub.gan.g_learning_rate, sub.gan.d_learning_rate) == (1e-4, 4e-4)
  assert not sub.gan.spectral_norm and sub.gan.ema_decay == 0.0
  config.ablation.also_alone = ("ema",)
  with pytest.raises(UserError, match="repeats"):
    configs.validate(config)


def test_a_stabiliser_the_recipe_does_not_use_is_a_user_error(monkeypatch):
  config, full = _recipe_config(spectral_norm=False)
  config.ablation.stabilisers = ("spectral_norm",)
  monkeypatch.setattr(gan_ablation.files, "load_experiment",
                      lambda *a, **k: full)
  with pytest.raises(UserError, match="spectral_norm") as err:
    gan_ablation.recipe(config)
  assert "\n" not in str(err.value)
  config.ablation.stabilisers = ("no_such_trick",)
  with pytest.raises(UserError, match="no_such_trick"):
    configs.validate(config)
