"""Adapter for rule import_counts: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.settings import CountsSettings
from tmeseq.steps import import_counts

with script_logging(snakemake.log[0]):
    import_counts.run(
        counts=snakemake.input.counts,
        samples=snakemake.input.samples,
        output=snakemake.output.h5ad,
        settings=CountsSettings.from_param(snakemake.params.counts),
        annotation=snakemake.input.get("annotation"),
        species=snakemake.params.species,
        id_tables=list(snakemake.input.id_tables),
    )
