"""Workflow step ``check_gene_sets``: after the import, before the DE fit, check that the
scores and GSEA have something to work on (:mod:`tmeseq.stage_inputs`) and write
``qc/gene_set_coverage.tsv``."""

from __future__ import annotations

from pathlib import Path

import anndata as ad

from tmeseq.de.prefilter import prefilter_mask
from tmeseq.settings import DEModelSettings
from tmeseq.stage_inputs import GeneSetPlan, check_stage_inputs, gene_pool
from tmeseq.tables import write_tsv


def run(
    h5ad: str | Path, output: str | Path, *, plan: GeneSetPlan, model: DEModelSettings
) -> None:
    """Match the stages' collections to the imported genes; stop the run if one is empty.

    Parameters
    ----------
    h5ad : str or Path
        ``counts.h5ad`` from the import.
    output : str or Path
        ``qc/gene_set_coverage.tsv``.
    plan : GeneSetPlan
        The gene-set files, set-size bounds and ``allow_empty`` switches.
    model : DEModelSettings
        The DE fit's settings: its pre-filter decides which genes are expressed.

    Raises
    ------
    InputError
        When a stage has nothing to work on and the user did not allow it.
    """
    imported = ad.read_h5ad(h5ad)
    pool = gene_pool(imported.var, prefilter_mask(imported, model))
    table = check_stage_inputs(pool, plan.planned(), plan.allow_empty, plan.species)
    write_tsv(table, output)
