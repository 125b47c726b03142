"""Workflow step ``import_counts``: counts + sample sheet + annotation -> ``counts.h5ad``."""

from __future__ import annotations

from pathlib import Path

from tmeseq.importer import ImportSettings, import_counts, write_h5ad
from tmeseq.settings import CountsSettings


def run(
    counts: str | Path,
    samples: str | Path,
    output: str | Path,
    *,
    settings: CountsSettings,
    annotation: str | None,
) -> None:
    """Import and validate a cohort's counts and write them as AnnData to ``output``.

    Parameters
    ----------
    counts, samples : str or Path
        The count file or folder and the sample sheet.
    output : str or Path
        ``counts.h5ad``.
    settings : CountsSettings
        The format, the STAR strand and the transcript-to-gene map.
    annotation : str, optional
        Gene annotation table or GTF.
    """
    imported = import_counts(
        counts,
        samples,
        ImportSettings(
            format=settings.format,
            star_strand=settings.star_strand,
            tx2gene=settings.tx2gene,
            annotation=annotation,
        ),
    )
    write_h5ad(imported, output)
