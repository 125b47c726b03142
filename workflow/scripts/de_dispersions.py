"""Adapter for rule de_dispersions: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.steps import de_plots

with script_logging(snakemake.log[0], rule=snakemake.rule, mem_mb=snakemake.resources.mem_mb):
    de_plots.run_dispersions(model=snakemake.input.model, output=snakemake.output.plot)
