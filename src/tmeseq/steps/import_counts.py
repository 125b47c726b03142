"""Workflow step ``import_counts``: counts + sample sheet + annotation -> ``counts.h5ad``."""

from __future__ import annotations

from collections.abc import Sequence
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
    species: str | None = None,
    id_tables: Sequence[str] = (),
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
    species : {"human", "mouse"}, optional
        The configured species: without ``annotation`` it picks the bundled ID table.
    id_tables : sequence of str
        The bundled ID tables of the species (rule inputs; read when there is no annotation).
    """
    imported = import_counts(
        counts,
        samples,
        ImportSettings(
            format=settings.format,
            star_strand=settings.star_strand,
            tx2gene=settings.tx2gene,
            annotation=annotation,
            species=species,
            id_tables=tuple(str(path) for path in id_tables),
        ),
    )
    write_h5ad(imported, output)
