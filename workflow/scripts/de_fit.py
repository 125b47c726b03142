"""Adapter for rule de_fit: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.settings import DEModelSettings
from tmeseq.steps import de

with script_logging(snakemake.log[0], rule=snakemake.rule, mem_mb=snakemake.resources.mem_mb):
    de.run_fit(
        h5ad=snakemake.input.h5ad,
        model=snakemake.output.model,
        settings=DEModelSettings.from_param(snakemake.params.model),
        threads=snakemake.threads,
    )
