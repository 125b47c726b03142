"""Adapter for rule gsea_dotplot: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.steps import gsea

with script_logging(snakemake.log[0], rule=snakemake.rule, mem_mb=snakemake.resources.mem_mb):
    gsea.run_dotplot(
        snakemake.input.tables,
        snakemake.params.contrasts,
        snakemake.output.plot,
        method=snakemake.params.method,
        permutations=snakemake.params.permutations,
        collections=snakemake.input.collections,
    )
