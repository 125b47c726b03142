"""Adapter for rule de_results: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.settings import Contrast, DETestSettings
from tmeseq.steps import de

with script_logging(snakemake.log[0], rule=snakemake.rule, mem_mb=snakemake.resources.mem_mb):
    contrasts = [Contrast.from_param(c) for c in snakemake.params.contrasts]
    de.run_results(
        model=snakemake.input.model,
        tables=dict(zip([c.name for c in contrasts], snakemake.output.tables, strict=True)),
        summary=snakemake.output.summary,
        workbook=snakemake.output.workbook,
        contrasts=contrasts,
        settings=DETestSettings.from_param(snakemake.params.test),
        threads=snakemake.threads,
    )
