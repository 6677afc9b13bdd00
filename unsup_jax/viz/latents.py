"""The latent figures of any model with an encoder and a decoder, from the
arrays of `eval.latents.latent_outputs`."""

import os

from unsup_jax.eval.latents import TRAVERSAL_VALUES
from unsup_jax.viz import figures as viz


def latent_figures(outputs: dict, outdir: str) -> dict:
  """Reconstructions, interpolations, latent scatter; with a prior also
  samples and traversals. Returns `{name: path}`."""
  path = lambda name: os.path.join(outdir, f"{name}.png")
  figs = {
      "reconstructions": viz.reconstructions(
          outputs["shown"], outputs["recons"], path("reconstructions")),
      "interpolations": viz.interpolations(outputs["interpolations"],
                                           path("interpolations")),
      "latent_space": viz.latent_scatter(outputs["codes"], outputs["labels"],
                                         path("latent_space")),
  }
  if "prior_samples" in outputs:
    figs["prior_samples"] = viz.samples(outputs["prior_samples"],
                                        path("prior_samples"))
  if "traversals" in outputs:
    figs["traversals"] = viz.traversals(
        outputs["traversals"], TRAVERSAL_VALUES, path("traversals"),
        dims=list(outputs["traversal_dims"]),
        row_labels=outputs.get("traversal_labels"),
        title="Latent traversals (units by decreasing activity)" + (
            "; each unit's main factor" if "traversal_labels" in outputs
            else ""))
  return figs
