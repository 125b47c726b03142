"""Adapter for rule report: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.settings import Settings
from tmeseq.steps import report

with script_logging(snakemake.log[0], rule=snakemake.rule, mem_mb=snakemake.resources.mem_mb):
    report.run(
        inputs=dict(snakemake.input.items()),
        outputs=dict(snakemake.output.items()),
        settings=Settings.from_config(snakemake.params.config),
        config=snakemake.params.config,
        sources=list(snakemake.input.sources),
        results=list(snakemake.input.results),
    )
