import os
import re
import sys
from pathlib import Path

from snakemake.utils import validate

# The rules import the installed tmeseq package, the same one the tests import.
try:
    from tmeseq.config import check_run
    from tmeseq.errors import InputError
    from tmeseq.resources import (
        HALLMARK_FILES,
        ID_TABLES,
        RESOURCES_DIR,
        SIGNATURES_FILE,
        SOURCE_ENV,
        SPECIES_ID_TABLES,
    )
    from tmeseq.schema_errors import check_config, load_schema
    from tmeseq.settings import Settings
except ModuleNotFoundError as missing:
    raise ModuleNotFoundError(
        f"{missing}: install tmeseq into the Python that runs snakemake, from the "
        "repository: python3 -m pip install -e ."
    ) from missing

CONFIG_FILE = (
    str(workflow.overwrite_configfiles[-1])
    if workflow.overwrite_configfiles
    else "config/config.yaml"
)
# A user's mistake is reported once, as one message without a traceback, before any job runs.
try:
    check_config(
        config,
        load_schema(
            Path(workflow.basedir, "workflow", "schemas", "config.schema.yaml")
        ),
        CONFIG_FILE,
    )
    validate(config, schema="../schemas/config.schema.yaml")
    # Built once; rules receive only the fields they use, as plain values (tmeseq.settings).
    SETTINGS = Settings.from_config(config)
    SAMPLES = check_run(config, CONFIG_FILE)
except InputError as error:
    sys.stderr.write(f"{error.message}\n")
    sys.exit(1)
validate(SAMPLES, schema="../schemas/samples.schema.yaml")

# This checkout, for `--sdm conda`: envs/tmeseq.post-deploy.sh installs the package from here
# into the rules' environment when Snakemake creates it (and tmeseq.resources finds it).
os.environ[SOURCE_ENV] = workflow.basedir

COHORT = SETTINGS.cohort
OUT = f"results/{COHORT}"
LOGS = f"{OUT}/logs"
N_SAMPLES = len(SAMPLES)
CONTRASTS = SETTINGS.contrast_names


wildcard_constraints:
    contrast="|".join(re.escape(name) for name in CONTRASTS),


def bundled(name):
    """A bundled resource (workflow/resources/<name>) of this checkout."""
    return str(Path(workflow.basedir, RESOURCES_DIR, name))


# Bundled files the rules read: inputs, so editing one re-runs what uses it.
HALLMARKS = bundled(HALLMARK_FILES[SETTINGS.species])
SIGNATURES = bundled(SIGNATURES_FILE)
# The HTML report's template and its own stylesheet and script (inputs of rule report).
REPORT_TEMPLATE = str(Path(workflow.basedir, "workflow", "report", "report.html.j2"))
REPORT_ASSETS = Path(workflow.basedir, "workflow", "report", "assets")


def counts_inputs():
    """The files the import reads, so that editing any of them re-runs it."""
    inputs = {"counts": SETTINGS.counts.path, "samples": SETTINGS.samples}
    if SETTINGS.counts.tx2gene:
        inputs["tx2gene"] = SETTINGS.counts.tx2gene
    if SETTINGS.annotation:
        inputs["annotation"] = SETTINGS.annotation
    # the bundled gene ID tables of the species, read when no annotation is given
    inputs["id_tables"] = (
        []
        if SETTINGS.annotation
        else [bundled(ID_TABLES[t]) for t in SPECIES_ID_TABLES[SETTINGS.species]]
    )
    return inputs


def gsea_inputs():
    """The gene-set files GSEA reads besides the DE table (each collection it tests)."""
    inputs = {"gene_sets": list(SETTINGS.gsea.gene_sets), "signature_sets": []}
    if SETTINGS.gsea.hallmarks:
        inputs["hallmarks"] = HALLMARKS
    if SETTINGS.gsea.signatures:
        inputs["signatures"] = SIGNATURES
        inputs["signature_sets"] = list(SETTINGS.scores.gene_sets)
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


def provenance_sources():
    """Every file the run reads besides its own results (hashed in provenance.json)."""
    sources = [*SETTINGS.scores.gene_sets, SIGNATURES]
    for value in [*counts_inputs().values(), *gsea_inputs().values()]:
        sources += value if isinstance(value, list) else [value]
    return list(dict.fromkeys(str(path) for path in sources))


def final_outputs():
    """The workflow's targets: every stage's results, then the report and its provenance."""
    return [
        *stage_outputs(),
        f"{OUT}/report.html",
        f"{OUT}/provenance.json",
    ]


def stage_outputs():
    """The result files of the stages, which the report reads and hashes."""
    return [
        f"{OUT}/counts.h5ad",
        f"{OUT}/qc/library_stats.tsv",
        f"{OUT}/qc/library_sizes.png",
        f"{OUT}/qc/pca.tsv",
        f"{OUT}/qc/pca_variance.tsv",
        f"{OUT}/qc/pca.png",
        f"{OUT}/qc/sample_correlation.tsv",
        f"{OUT}/qc/sample_correlation.png",
        f"{OUT}/qc/gene_set_coverage.tsv",
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
        f"{OUT}/scores/coverage.tsv",
        *expand(f"{OUT}/scores/{{contrast}}.tsv", contrast=CONTRASTS),
        f"{OUT}/scores/tme_comparison.tsv",
        f"{OUT}/scores/tme_comparison.png",
        f"{OUT}/scores/score_boxplots.png",
        f"{OUT}/scores/signature_heatmap.png",
        *expand(
            f"{OUT}/gsea/{{contrast}}.{{part}}",
            contrast=CONTRASTS,
            part=["tsv", "collections.tsv"],
        ),
        *expand(f"{OUT}/gsea/plots/{{contrast}}.enrichment.png", contrast=CONTRASTS),
        f"{OUT}/gsea/nes_dotplot.png",
    ]
