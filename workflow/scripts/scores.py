"""Adapter for rule scores: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.steps import scores

with script_logging(snakemake.log[0]):
    outputs = dict(snakemake.output.items())
    outputs["tables"] = dict(
        zip([c["name"] for c in snakemake.params.contrasts], snakemake.output.tables, strict=True)
    )
    scores.run(
        model=snakemake.input.model,
        outputs=outputs,
        species=snakemake.params.species,
        scores=snakemake.params.scores,
        contrasts=snakemake.params.contrasts,
        alpha=snakemake.params.alpha,
        threads=snakemake.threads,
    )
