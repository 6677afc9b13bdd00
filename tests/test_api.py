"""The public API a notebook uses: `import unsup_jax as uj`."""

import subprocess
import sys

import numpy as np

from tests.helpers import ROOT


def test_importing_the_configs_starts_no_jax():
  code = ("import sys, unsup_jax, unsup_jax.configs.vae as v; "
          "v.config(); print('jax' in sys.modules)")
  out = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                       capture_output=True, text=True, check=True)
  assert out.stdout.strip() == "False"


def test_load_build_run_restore_evaluate(tmp_path):
  import unsup_jax as uj  # pylint: disable=g-import-not-at-top
  config = uj.get_config("vae_mnist", "smoke")
  config.train.parallel = "jit"
  data = uj.load_data(config)
  assert data.spec().image_shape == (28, 28, 1)
  method = uj.build_method(config, data)
  assert [p.name for p in method.phases] == ["train"]
  results = uj.run(config, str(tmp_path), progress=False)
  state = uj.load_state(config, str(tmp_path))
  assert int(state.step) == config.train.num_steps
  metrics, outputs = uj.evaluate(config, state, key=None)
  assert np.isfinite(metrics["nll"]) and "reconstructions" not in outputs
  assert outputs["recons"].shape == outputs["shown"].shape
  assert abs(metrics["elbo"] - results["test_elbo"]) < 5.0
  # The pure maths is one attribute away.
  assert callable(uj.ops.distributions.reparameterize)
  assert callable(uj.losses.elbo.negative_elbo)
  assert "run" in dir(uj)
