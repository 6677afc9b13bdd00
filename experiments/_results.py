"""The project's results table: every default experiment and study, its
headline number and the reference beside it.

  python experiments/_results.py            # run what is not recorded, then write the table
  python experiments/_results.py --table    # only rewrite README's table from the record
  python experiments/_results.py --only=vae_mnist,dec_mnist
  python experiments/_results.py --rerun=vae_mnist   # record a row again

`make results` is the first form. Each experiment runs with `launch.py`
into `workdirs/NAME` (`--root`), so an interrupted `make results` resumes
where it stopped: finished runs (a `results.json`) are not run again, a
cut run resumes from its checkpoint. Wall times go to `ROOT/times.json`.

Every finished run's row (the values it reads, the wall time, the commit
and the date) is kept in `experiments/_results.json` (`--record`), which
is committed: the full set of runs takes longer than one sitting on two
cores, and the record carries it from one machine to the next. Recorded
experiments are skipped unless named in `--rerun` (which records the run
in `workdirs/NAME` again, finishing it first; delete that folder to
measure from scratch). The table is
written from the record between README's `<!-- results:begin -->` and
`<!-- results:end -->` lines; rows not yet recorded say so.

A reference is either a published number (its paper and its setting) or a
baseline the same run measures (`ref_key`, e.g. the Kalman filter beside
TD-VAE). The CIFAR-10 experiments need the TFDS data and are not part of
the table.
"""

import dataclasses
import json
import os
import subprocess
import sys
import time

from unsup_jax.viz.report import atomic_write

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
RECORD = os.path.join(ROOT, "experiments", "_results.json")


@dataclasses.dataclass(frozen=True)
class Row:
  experiment: str
  method: str
  data: str
  metric: str            # what the number is, with its direction
  key: str               # its key in results.json
  reference: str = ""    # a published number and its setting
  ref_key: str = ""      # or a baseline of the same run: its key
  ref_name: str = ""     # ... and what that baseline is
  fmt: str = "{:.4g}"
  smoke_keys: tuple[str, ...] = ()   # where the smoke variant names them otherwise
  args: tuple[str, ...] = ()   # launch.py's config overrides for this row's run

  def keys(self, smoke: bool = False) -> tuple[str, ...]:
    """The results keys the row reads (in the smoke variant's results)."""
    if smoke and self.smoke_keys:
      return self.smoke_keys
    return (self.key,) + ((self.ref_key,) if self.ref_key else ())


_M5K = "mnist5k"
_ACC = "{:.1%}"
_SPRITES = "dSprites (procedural)"
_DIS = "MIG ↑"


def _clustering(experiment: str, method: str, paper: str) -> Row:
  """A deep-clustering row: accuracy on the training images, as the papers
  (which cluster all of MNIST) report it."""
  return Row(experiment, method, _M5K + " (train, transductive)",
             "accuracy ↑", "test_train_acc",
             reference=f"{paper}, all 70,000 MNIST images", fmt=_ACC)


def _semi(experiment: str, method: str, paper: str = "") -> Row:
  """A semi-supervised row at 100 labels, beside its paper's number (`"N%:
  Authors year"`, on the full MNIST)."""
  return Row(experiment, method, _M5K + ", 100 labels", "test accuracy ↑",
             "test_accuracy", fmt=_ACC, reference=paper and (
                 f"{paper}, full MNIST, 100 labels"))


ROWS = (
    Row("pca_mnist", "PCA (k = 10)", _M5K, "test MSE/pixel ↓", "test_mse_k10"),
    Row("linear_ae_mnist", "linear autoencoder", _M5K, "test MSE/pixel ↓",
        "test_mse"),
    Row("ae_mnist", "deep autoencoder", _M5K, "test MSE/pixel ↓", "test_mse"),
    Row("conv_ae_mnist", "convolutional autoencoder", _M5K,
        "test MSE/pixel ↓", "test_mse"),
    Row("sparse_ae_mnist", "sparse autoencoder", _M5K, "test MSE/pixel ↓",
        "test_mse"),
    Row("denoising_ae_mnist", "denoising autoencoder", _M5K,
        "test MSE/pixel (clean input) ↓", "test_mse_clean_input"),
    Row("ae_vs_pca", "deep AE against PCA, 2-D codes", _M5K,
        "test MSE/pixel ↓", "test_mse_deep_ae_k2", ref_key="test_mse_pca_k2",
        ref_name="PCA, k = 2"),
    Row("inpainting_mnist", "context encoder", _M5K, "hole MSE ↓",
        "test_hole_mse", ref_key="test_hole_mse_mean_fill",
        ref_name="mean fill"),
    Row("gan_inpainting_mnist", "inpainting with a GAN prior", _M5K,
        "hole MSE ↓", "test_hole_mse_gan_prior",
        ref_key="test_hole_mse_context_encoder", ref_name="context encoder"),
    Row("semantic_hashing_mnist", "semantic hashing", _M5K,
        "retrieval mAP ↑", "test_map", ref_key="test_pca_map",
        ref_name="PCA codes, same bits"),
    Row("anomaly_mnist", "anomaly detection (VAE)", _M5K,
        "AUROC, mean over held-out digits ↑", "test_auroc_vae_mean",
        ref_key="test_auroc_ae_mean", ref_name="autoencoder"),
    Row("vae_mnist", "VAE", _M5K, "test NLL (nats) ↓", "test_nll",
        reference="86.76: Burda et al. 2016, VAE k = 1, full MNIST, "
        "3,280 passes", fmt="{:.2f}"),
    Row("beta_vae_mnist", "β-VAE", _M5K, "test NLL (nats) ↓", "test_nll",
        fmt="{:.2f}"),
    Row("conv_vae_mnist", "convolutional VAE", _M5K, "test NLL (nats) ↓",
        "test_nll", fmt="{:.2f}"),
    Row("beta_vae_dsprites", "β-VAE", _SPRITES, _DIS, "test_mig"),
    Row("factor_vae_dsprites", "FactorVAE", _SPRITES, _DIS, "test_mig"),
    Row("beta_tcvae_dsprites", "β-TCVAE", _SPRITES, _DIS, "test_mig"),
    Row("dip_vae_dsprites", "DIP-VAE", _SPRITES, _DIS, "test_mig"),
    Row("ada_gvae_dsprites", "Ada-GVAE (weak supervision)", _SPRITES, _DIS,
        "test_mig"),
    Row("disentanglement_study", "β-VAE (β = 4), seeds", "colour sprites",
        _DIS + " (mean)", "test_mig_beta_vae_4_colour_sprites_mean"),
    Row("vqvae_mnist", "VQ-VAE + PixelCNN prior", _M5K, "bits/dim ↓",
        "test_bits_per_dim", ref_key="test_bits_per_dim_uniform_prior",
        ref_name="uniform prior"),
    Row("vqvae2_mnist", "VQ-VAE-2 + PixelCNN priors", _M5K, "bits/dim ↓",
        "test_bits_per_dim", ref_key="test_bits_per_dim_uniform_prior",
        ref_name="uniform prior"),
    Row("dcgan_mnist", "DCGAN", _M5K, "FID ↓", "test_fid",
        ref_key="test_fid_floor", ref_name="training images (floor)",
        fmt="{:.1f}"),
    Row("hinge_gan_mnist", "hinge-loss GAN", _M5K, "FID ↓", "test_fid",
        ref_key="test_fid_floor", ref_name="training images (floor)",
        fmt="{:.1f}"),
    Row("wgan_gp_mnist", "WGAN-GP", _M5K, "FID ↓", "test_fid",
        ref_key="test_fid_floor", ref_name="training images (floor)",
        fmt="{:.1f}"),
    Row("gan_ablation", "DCGAN recipe, 3 seeds", _M5K, "FID (mean) ↓",
        "test_fid_full_mean", ref_key="test_fid_plain_mean",
        ref_name="plain DCGAN", fmt="{:.1f}"),
    Row("denoising_aae_mnist", "denoising AAE", _M5K,
        "test MSE/pixel (clean input) ↓", "test_mse_clean_input"),
    Row("denoising_aae_study", "AAE against VAE samples", _M5K, "FID ↓",
        "test_fid_aae", ref_key="test_fid_vae", ref_name="VAE",
        fmt="{:.1f}"),
    _clustering("dec_mnist", "DEC", "84.3%: Xie et al. 2016"),
    _clustering("idec_mnist", "IDEC", "88.06%: Guo et al. 2017"),
    _clustering("vade_mnist", "VaDE", "94.46%: Jiang et al. 2017"),
    _clustering("n2d_mnist", "N2D (autoencoder, UMAP, GMM)",
                "97.9%: McConville et al. 2020"),
    _clustering("iic_mnist", "IIC", "99.2%: Ji et al. 2019"),
    Row("clustering_study", "N2D, 3 seeds", _M5K + " (train)",
        "accuracy (mean) ↑", "test_train_acc_n2d_mean",
        ref_key="test_train_acc_umap_gmm_pixels_mean",
        ref_name="UMAP + GMM on pixels", fmt=_ACC),
    _semi("supervised_mnist", "classifier on the labels alone"),
    _semi("supervised_aug_mnist", "the same, augmented images"),
    _semi("label_propagation_mnist", "label spreading (kNN graph of PCA "
          "codes)"),
    _semi("m1_mnist", "M1 (label spreading on VAE codes)",
          "88.2% (M1 + TSVM): Kingma et al. 2014"),
    _semi("m2_mnist", "M2", "88.0%: Kingma et al. 2014"),
    _semi("m1m2_mnist", "M1 + M2", "96.7%: Kingma et al. 2014"),
    _semi("vat_mnist", "VAT", "98.64%: Miyato et al. 2018"),
    _semi("fixmatch_mnist", "FixMatch"),
    Row("label_budget_study", "FixMatch, 3 seeds", _M5K + ", 100 labels",
        "test accuracy (mean) ↑", "test_acc_fixmatch_n100_mean",
        ref_key="test_acc_supervised_aug_n100_mean",
        ref_name="labels alone, augmented", fmt=_ACC,
        smoke_keys=("test_acc_fixmatch_n20_mean",
                    "test_acc_supervised_n20_mean"),
        # The consistency methods and the baselines at 100 and 1,000 labels
        # and 500 or all 3,900 unlabelled images: 89 minutes on 2 cores,
        # where every model at every count takes hours.
        args=("--config.label_budget_study.models=('supervised_aug',"
              "'label_propagation','vat','fixmatch')",
              "--config.label_budget_study.label_counts=100,1000",
              "--config.label_budget_study.unlabelled_counts=500")),
    Row("tdvae_oscillator", "TD-VAE", "noisy oscillator",
        "prediction MSE, 1 step ↓", "test_mse_tdvae_d1",
        ref_key="test_mse_kalman_d1", ref_name="Kalman filter (optimal)"),
    Row("tdvae_moving_digits", "TD-VAE", "moving digits",
        "prediction MSE/pixel, 4 steps ↓", "test_mse_tdvae_d4",
        ref_key="test_mse_lstm_d4", ref_name="LSTM predictor"),
    Row("tdvae_switching_digits", "TD-VAE", "switching digits",
        "predictive log-lik, 4 steps ↑ (nats/frame)", "test_ll_tdvae_d4",
        ref_key="test_ll_lstm_d4", ref_name="LSTM predictor",
        fmt="{:.1f}"),
    Row("tdvae_bouncing_balls", "TD-VAE", "bouncing balls",
        "prediction MSE/pixel, 4 steps ↓", "test_mse_tdvae_d4",
        ref_key="test_mse_lstm_d4", ref_name="LSTM predictor"),
    Row("word2vec_enwiki", "word2vec (skip-gram, negative sampling)",
        "enwiki sample", "WordSim-353 ρ ↑", "test_wordsim353_spearman",
        reference="0.523 ± 0.015: gensim 4.4, same corpus and settings "
        "(benchmarks/word2vec_vs_gensim.py)", fmt="{:.3f}"),
    Row("word2vec_lee", "word2vec", "Lee corpus", "WordSim-353 ρ ↑",
        "test_wordsim353_spearman", fmt="{:.3f}"),
    Row("sentence_vae_enwiki", "sentence VAE", "enwiki sentences",
        "test NLL (nats/sentence) ↓", "test_nll", reference="101 (KL 2): "
        "Bowman et al. 2016, Penn Treebank", fmt="{:.2f}"),
    Row("sentence_vae_no_annealing", "sentence VAE, no annealing",
        "enwiki sentences", "test NLL (nats/sentence) ↓", "test_nll",
        fmt="{:.2f}"),
    Row("lstm_lm_enwiki", "LSTM language model", "enwiki sentences",
        "test NLL (nats/sentence) ↓", "test_nll", reference="100: Bowman et "
        "al. 2016's LSTM, Penn Treebank", fmt="{:.2f}"),
)

_BY_NAME = {r.experiment: r for r in ROWS}


def _load_json(path: str):
  try:
    with open(path) as f:
      return json.load(f)
  except (OSError, ValueError):
    return None


def _write_json(path: str, value) -> None:
  atomic_write(path, json.dumps(value, indent=1, sort_keys=True) + "\n")


def _duration(seconds: float | None) -> str:
  if seconds is None:
    return "—"
  if seconds < 120:
    return f"{seconds:.0f} s"
  minutes = round(seconds / 60)
  return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def cells(row: Row, entry: dict | None) -> list[str]:
  """The table's cells for `row`, from its record entry (None: not run)."""
  values = (entry or {}).get("values", {})
  def value(key):
    v = values.get(key)
    return "—" if v is None else row.fmt.format(v)
  mine = value(row.key) if entry else "not run yet"
  if row.ref_key:
    reference = f"{row.ref_name}: {value(row.ref_key) if entry else '—'}"
  else:
    reference = row.reference or "—"
  return [row.method, row.data, row.metric, mine, reference,
          _duration((entry or {}).get("seconds")),
          "`" + " ".join([f"launch.py --config=experiments/{row.experiment}"
                          ".py", *map(_shell, row.args)]) + "`"]


def _shell(arg: str) -> str:
  """`--flag=value` as typed in a shell (a tuple value in double quotes)."""
  flag, _, value = arg.partition("=")
  return f'{flag}="{value}"' if set(value) & set("()' ") else arg


def table(record: dict) -> str:
  """README's results table from the record (experiment -> entry)."""
  header = ["method", "data", "metric", "unsup_jax", "reference",
            "wall (2 cores)", "command"]
  lines = ["| " + " | ".join(header) + " |",
           "| " + " | ".join(["---"] * 3 + ["---:", "---", "---:", "---"])
           + " |"]
  for row in ROWS:
    lines.append("| " + " | ".join(cells(row, record.get(row.experiment)))
                 + " |")
  entries = [record[r.experiment] for r in ROWS if r.experiment in record]
  total = sum(e.get("seconds") or 0.0 for e in entries)
  dates = sorted({e["date"] for e in entries if e.get("date")})
  when = (f"on {dates[0]}" if len(dates) == 1 else
          f"from {dates[0]} to {dates[-1]}" if dates else "")
  lines.append("")
  lines.append(
      f"Written by `make results`: {len(entries)} of {len(ROWS)} runs "
      f"recorded{' ' + when if when else ''}, {_duration(total)} of runs "
      f"timed; each row's commit is in `experiments/_results.json`. "
      f"Commands in full: `python launch.py --config=experiments/NAME.py "
      f"--workdir=workdirs/NAME`.")
  return "\n".join(lines)


def _commit() -> str:
  """HEAD's short hash, `+changes` where the library or the experiments
  (not this driver and its record) differ from it; `unknown` outside a git
  checkout."""
  def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=30)
  try:
    head = git("rev-parse", "--short", "HEAD")
    if head.returncode:
      return "unknown"
    changed = git("status", "--porcelain", "--", "unsup_jax", "launch.py",
                  "experiments", ":(exclude,glob)experiments/_results.*")
    return head.stdout.strip() + ("+changes" if changed.stdout.strip()
                                  else "")
  except (OSError, subprocess.SubprocessError):
    return "unknown"


def record_entry(row: Row, results: dict, seconds: float | None,
                 commit: str) -> dict:
  """What the record keeps of a finished run: the values its row reads."""
  return {"values": {k: results[k] for k in row.keys() if k in results},
          "seconds": None if seconds is None else round(seconds, 1),
          "commit": commit,
          "date": time.strftime("%Y-%m-%d", time.gmtime())}


def load_record(path: str) -> dict:
  """The record (experiment -> entry); {} where there is none yet. A
  record that cannot be read is an error, never silently replaced."""
  if not os.path.exists(path):
    return {}
  record = _load_json(path)
  if not isinstance(record, dict):
    raise ValueError(f"{path} is not a JSON object of recorded runs")
  unknown = sorted(set(record) - set(_BY_NAME))
  if unknown:
    raise ValueError(f"{path} records runs not in the table: "
                     f"{', '.join(unknown)}")
  return record


def _split_readme(readme: str) -> tuple[str, str]:
  """README's text before and after its table; OSError where it cannot be
  read, ValueError where its markers are missing or out of order."""
  with open(readme) as f:
    content = f.read()
  if content.count(BEGIN) != 1 or content.count(END) != 1 or \
      content.index(BEGIN) > content.index(END):
    raise ValueError(f"{readme} needs one {BEGIN} line and one {END} line "
                     "after it")
  head, rest = content.split(BEGIN)
  return head, rest.split(END)[1]


def write_readme(readme: str, text: str) -> None:
  """Replaces README's table between the markers (atomically)."""
  head, tail = _split_readme(readme)
  atomic_write(readme, head + BEGIN + "\n" + text + "\n" + END + tail)


def run(names: list[str], root: str, record_path: str,
        progress: bool = True) -> list[str]:
  """Runs (or resumes) every experiment in `names` and records each that
  finishes (a run already finished in `root` is recorded without running
  again); returns those that failed. Each run's output goes to
  `ROOT/NAME.log`, its wall time (summed over resumptions) to
  `ROOT/times.json`."""
  import tqdm  # pylint: disable=g-import-not-at-top
  os.makedirs(root, exist_ok=True)
  times_path = os.path.join(root, "times.json")
  failed = []
  bar = tqdm.tqdm(names, unit="run", disable=not progress)
  for name in bar:
    workdir = os.path.join(root, name)
    results_path = os.path.join(workdir, "results.json")
    times = _load_json(times_path) or {}
    if not os.path.exists(results_path):
      bar.set_description(name)
      fresh = not os.path.exists(workdir)   # else resumed: times add up
      start = time.time()
      with open(os.path.join(root, f"{name}.log"), "a") as log:
        code = subprocess.call(
            [sys.executable, os.path.join(ROOT, "launch.py"),
             f"--config={os.path.join(ROOT, 'experiments', name + '.py')}",
             f"--workdir={workdir}", "--progress=false",
             *_BY_NAME[name].args],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
      times[name] = (0.0 if fresh else times.get(name, 0.0)) + (
          time.time() - start)
      _write_json(times_path, times)
      if code:
        failed.append(name)
        bar.write(f"{name} failed (exit status {code}): see "
                  f"{os.path.join(root, name + '.log')}")
        continue
    results = _load_json(results_path)
    if not isinstance(results, dict):
      failed.append(name)
      bar.write(f"{name}: {results_path} is missing or not JSON")
      continue
    record = load_record(record_path)   # re-read: others may have added
    record[name] = record_entry(_BY_NAME[name], results, times.get(name),
                                _commit())
    _write_json(record_path, record)
  return failed


def main(argv) -> int:
  from absl import flags  # pylint: disable=g-import-not-at-top
  del argv
  f = flags.FLAGS
  names = f.only or [r.experiment for r in ROWS]
  unknown = [n for n in names + f.rerun if n not in _BY_NAME]
  if unknown:
    print(f"error: not in the results table: {', '.join(unknown)} "
          f"(choose from {', '.join(_BY_NAME)})", file=sys.stderr)
    return 2
  try:
    record = load_record(f.record)
    _split_readme(f.readme)   # before hours of runs, not after them
  except (OSError, ValueError) as e:
    print(f"error: {e}", file=sys.stderr)
    return 2
  failed = []
  if not f.table:
    todo = [n for n in names if n not in record or n in f.rerun] + [
        n for n in f.rerun if n not in names]
    failed = run(todo, f.root, f.record, progress=f.progress)
  try:
    write_readme(f.readme, table(load_record(f.record)))
  except (OSError, ValueError) as e:
    print(f"error: {e}", file=sys.stderr)
    return 2
  print(f"wrote the results table into {f.readme}")
  return 1 if failed else 0


if __name__ == "__main__":
  from absl import app, flags  # pylint: disable=g-import-not-at-top
  flags.DEFINE_list("only", [], "these experiments only (default: all)")
  flags.DEFINE_bool("table", False, "only rewrite the table")
  flags.DEFINE_string("root", os.path.join(ROOT, "workdirs"),
                      "where the runs are")
  flags.DEFINE_string("readme", os.path.join(ROOT, "README.md"),
                      "the README to write the table into")
  flags.DEFINE_list("rerun", [], "record these experiments again (from "
                    "workdirs/NAME; delete it to measure afresh)")
  flags.DEFINE_string("record", RECORD, "the record of finished runs")
  flags.DEFINE_bool("progress", True, "show a progress bar")
  app.run(lambda argv: sys.exit(main(argv)))
