"""Adapter for rule scores: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.settings import Contrast, ScoreSettings
from tmeseq.steps import scores

with script_logging(snakemake.log[0], rule=snakemake.rule, mem_mb=snakemake.resources.mem_mb):
    contrasts = [Contrast.from_param(c) for c in snakemake.params.contrasts]
    outputs = dict(snakemake.output.items())
    outputs["tables"] = dict(
        zip([c.name for c in contrasts], snakemake.output.tables, strict=True)
    )
    scores.run(
        model=snakemake.input.model,
        outputs=outputs,
        signatures=snakemake.input.signatures,
        gene_sets=list(snakemake.input.gene_sets),
        species=snakemake.params.species,
        settings=ScoreSettings.from_param(snakemake.params.scores),
        contrasts=contrasts,
        alpha=snakemake.params.alpha,
        threads=snakemake.threads,
    )
