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


rule all:
    default_target: True
    input:
        final_outputs(),
