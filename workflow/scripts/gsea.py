"""Adapter for rule gsea: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.steps import gsea

with script_logging(snakemake.log[0]):
    gsea.run(
        table=snakemake.input.table,
        contrast=snakemake.wildcards.contrast,
        outputs=dict(snakemake.output.items()),
        species=snakemake.params.species,
        gsea=snakemake.params.gsea,
        scores=snakemake.params.scores,
        threads=snakemake.threads,
    )
