"""Adapter for rule de_plots: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.steps import de_plots

with script_logging(snakemake.log[0], rule=snakemake.rule, mem_mb=snakemake.resources.mem_mb):
    de_plots.run(
        table=snakemake.input.table,
        contrast=snakemake.wildcards.contrast,
        outputs=dict(snakemake.output.items()),
        alpha=snakemake.params.alpha,
        n_labels=snakemake.params.n_labels,
    )
