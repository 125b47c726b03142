"""Adapter for rule qc: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.steps import qc

with script_logging(snakemake.log[0]):
    qc.run(
        h5ad=snakemake.input.h5ad,
        outputs=dict(snakemake.output.items()),
        n_top_genes=snakemake.params.n_top_genes,
        colour_by=snakemake.params.colour_by,
        shape_by=snakemake.params.shape_by,
        threads=snakemake.threads,
    )
