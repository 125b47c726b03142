"""Workflow step ``import_counts``: counts + sample sheet + annotation -> ``counts.h5ad``."""

from __future__ import annotations

from pathlib import Path

from tmeseq.importer import ImportSettings, import_counts, write_h5ad


def run(
    counts: str | Path,
    samples: str | Path,
    output: str | Path,
    *,
    format: str = "auto",
    star_strand: str = "unstranded",
    tx2gene: str | None = None,
    annotation: str | None = None,
) -> None:
    """Import and validate a cohort's counts and write them as AnnData to ``output``."""
    settings = ImportSettings(
        format=format, star_strand=star_strand, tx2gene=tx2gene, annotation=annotation
    )
    write_h5ad(import_counts(counts, samples, settings), output)
