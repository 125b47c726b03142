"""Adapter for rule import_counts: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.steps import import_counts

with script_logging(snakemake.log[0]):
    import_counts.run(
        counts=snakemake.input.counts,
        samples=snakemake.input.samples,
        output=snakemake.output.h5ad,
        format=snakemake.params.format,
        star_strand=snakemake.params.star_strand,
        tx2gene=snakemake.input.get("tx2gene"),
        annotation=snakemake.input.get("annotation"),
    )
