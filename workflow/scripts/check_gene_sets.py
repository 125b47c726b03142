"""Adapter for rule check_gene_sets: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.steps import check_gene_sets

with script_logging(snakemake.log[0], rule=snakemake.rule, mem_mb=snakemake.resources.mem_mb):
    check_gene_sets.run(
        snakemake.input.h5ad,
        snakemake.output.table,
        plan=snakemake.params.plan,
        model=snakemake.params.model,
    )
