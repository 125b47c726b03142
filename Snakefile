# tmeseq: compare the tumour microenvironment between treatment arms from bulk RNA-seq counts.
# Usage: snakemake --cores 2   (bundled example cohort)
#        snakemake --cores 2 --configfile my_cohort.yaml   (your cohort; complete on its own)
from snakemake.utils import min_version

min_version("9.0")


# A cohort config given with --configfile stands alone: it is not merged with the example's.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/import.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/de.smk"
include: "workflow/rules/scores.smk"
include: "workflow/rules/gsea.smk"
include: "workflow/rules/report.smk"


# Imported here: common.smk has checked that tmeseq is installed.
from tmeseq.resource_errors import report_memory_failures
from tmeseq.snakemake_report import protect_snakemake_report

# `snakemake --report` writes paths and job parameters into <script> blocks of its page:
# make them safe for names that hold markup (tmeseq.snakemake_report).
protect_snakemake_report()


# A job stopped for memory (SIGKILL, SLURM OUT_OF_MEMORY) cannot say so itself: name the
# resource to raise and how, from Snakemake's log.
onerror:
    report_memory_failures(log)


rule all:
    default_target: True
    input:
        final_outputs(),
