"""Adapter for rule qc: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.settings import QCSettings
from tmeseq.steps import qc

with script_logging(snakemake.log[0], rule=snakemake.rule, mem_mb=snakemake.resources.mem_mb):
    qc.run(
        h5ad=snakemake.input.h5ad,
        outputs=dict(snakemake.output.items()),
        settings=QCSettings.from_param(snakemake.params.qc),
        threads=snakemake.threads,
    )
