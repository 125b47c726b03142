"""Adapter for rule de: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.steps import de

with script_logging(snakemake.log[0]):
    de.run(
        h5ad=snakemake.input.h5ad,
        outputs={
            "model": snakemake.output.model,
            "summary": snakemake.output.summary,
            "workbook": snakemake.output.workbook,
            "tables": dict(zip(snakemake.params.contrasts, snakemake.output.tables, strict=True)),
        },
        de=snakemake.params.de,
        threads=snakemake.threads,
    )
