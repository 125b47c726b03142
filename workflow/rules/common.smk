import re
import sys
from pathlib import Path

from snakemake.utils import validate

# The library lives in src/ beside this workflow. Rule scripts find it through the link
# workflow/scripts/tmeseq (Snakemake puts a script's folder on its path), so jobs run in any
# environment that has the dependencies, conda environments and cluster nodes included.
SRC = str(Path(workflow.basedir) / "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)

from tmeseq.config import check_run, colour_variable  # noqa: E402

validate(config, schema="../schemas/config.schema.yaml")
CONFIG_FILE = (
    str(workflow.overwrite_configfiles[-1])
    if workflow.overwrite_configfiles
    else "config/config.yaml"
)
SAMPLES = check_run(config, CONFIG_FILE)
validate(SAMPLES, schema="../schemas/samples.schema.yaml")

COHORT = config["cohort"]
OUT = f"results/{COHORT}"
LOGS = f"{OUT}/logs"
N_SAMPLES = len(SAMPLES)
CONTRASTS = [c["name"] for c in config["de"]["contrasts"]]


wildcard_constraints:
    contrast="|".join(re.escape(name) for name in CONTRASTS),


def counts_inputs():
    """The files the import reads, so that editing any of them re-runs it."""
    inputs = {"counts": config["counts"]["path"], "samples": config["samples"]}
    if config["counts"]["tx2gene"]:
        inputs["tx2gene"] = config["counts"]["tx2gene"]
    if config["annotation"]:
        inputs["annotation"] = config["annotation"]
    return inputs


def mem_mb_for(base_mb, per_input_mb):
    """Memory request growing with the input's size (so the SLURM profile scales)."""

    def mem_mb(wildcards, input, attempt):
        return int((base_mb + per_input_mb * input.size_mb) * attempt)

    return mem_mb


def runtime_for(base_min, per_sample_min):
    """Runtime request (minutes) growing with the number of samples."""

    def runtime(wildcards, attempt):
        return int((base_min + per_sample_min * N_SAMPLES) * attempt)

    return runtime


def final_outputs():
    return [
        f"{OUT}/counts.h5ad",
        f"{OUT}/qc/library_stats.tsv",
        f"{OUT}/qc/library_sizes.png",
        f"{OUT}/qc/pca.tsv",
        f"{OUT}/qc/pca_variance.tsv",
        f"{OUT}/qc/pca.png",
        f"{OUT}/qc/sample_correlation.tsv",
        f"{OUT}/qc/sample_correlation.png",
        f"{OUT}/de/model.h5ad",
        f"{OUT}/de/summary.tsv",
        f"{OUT}/de/results.xlsx",
        f"{OUT}/de/dispersions.png",
        *expand(f"{OUT}/de/{{contrast}}.tsv", contrast=CONTRASTS),
        *expand(
            f"{OUT}/de/plots/{{contrast}}.{{plot}}.png",
            contrast=CONTRASTS,
            plot=["volcano", "ma", "pvalues"],
        ),
        f"{OUT}/scores/sample_scores.tsv",
        f"{OUT}/scores/tme_comparison.tsv",
        f"{OUT}/scores/tme_comparison.png",
        *expand(f"{OUT}/gsea/{{contrast}}.tsv", contrast=CONTRASTS),
        f"{OUT}/gsea/nes_dotplot.png",
    ]
