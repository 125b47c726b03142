"""Adapter for rule gsea: unpack snakemake, call tmeseq."""

from tmeseq.logs import script_logging
from tmeseq.settings import GSEASettings
from tmeseq.steps import gsea

with script_logging(snakemake.log[0], rule=snakemake.rule, mem_mb=snakemake.resources.mem_mb):
    gsea.run(
        table=snakemake.input.table,
        contrast=snakemake.wildcards.contrast,
        outputs=dict(snakemake.output.items()),
        hallmarks=snakemake.input.get("hallmarks"),
        signatures=snakemake.input.get("signatures"),
        signature_sets=list(snakemake.input.signature_sets),
        replace_signatures=snakemake.params.replace_signatures,
        gene_sets=list(snakemake.input.gene_sets),
        species=snakemake.params.species,
        settings=GSEASettings.from_param(snakemake.params.gsea),
        threads=snakemake.threads,
    )
