"""Checks of a run's configuration that need more than the JSON Schema.

The schema (``workflow/schemas/config.schema.yaml``) checks types and fills defaults; this
module checks what the schema cannot: that every file the config names exists (counts, sample
sheet, tx2gene, annotation, the user's gene-set files), that names are safe, that the design,
the reference levels and the contrasts fit the sample sheet, that every sample of the sheet
is a column of the counts (read cheaply, :mod:`tmeseq.readers.header`), that without an
annotation the counts' gene IDs suit the species (:func:`tmeseq.idmap.check_species`), and
that the user's gene-set files and annotation parse. It runs when the workflow loads, so every
mistake is reported before any job starts.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from tmeseq.annotation import read_annotation
from tmeseq.design import SAFE_NAME, check_contrasts, check_design, check_reference_levels
from tmeseq.errors import InputError
from tmeseq.genesets import read_gene_sets, read_gmt
from tmeseq.idmap import check_species
from tmeseq.readers.header import CountHeader, read_header
from tmeseq.samplesheet import COUNT_COLUMN, count_columns, read_sample_sheet, sample_line
from tmeseq.settings import Contrast, reference_levels

#: An annotation file larger than this is parsed by the import job only, not at load.
MAX_ANNOTATION_BYTES = 50 * 1024**2
#: Names listed in a message at most.
MAX_LISTED = 10


#: What Snakemake rewrites in a rule's file path: a path variable or a wildcard.
_SNAKEMAKE_PATH_SYNTAX = re.compile(r"<[a-z][a-z0-9_]*>|[{}]")


def check_run(config: Mapping[str, Any], config_file: str | Path | None = None) -> pd.DataFrame:
    """Check a schema-validated config and its sample sheet.

    Parameters
    ----------
    config : mapping
        The configuration after schema validation (defaults filled in).
    config_file : str or Path, optional
        The config file the user gave, named in messages.

    Returns
    -------
    pandas.DataFrame
        The sample sheet, read and checked.

    Raises
    ------
    InputError
        The first problem found, naming the file, the key or column, and the fix.
    """
    _check_cohort(config["cohort"], config_file)
    _check_paths(config, config_file)
    sheet_file = config["samples"]
    sheet = read_sample_sheet(sheet_file)
    de = config["de"]
    check_reference_levels(
        sheet,
        de["reference_levels"],
        de["design"],
        de["categorical"],
        sheet_file=sheet_file,
        config_file=config_file,
    )
    contrasts = tuple(Contrast.from_config(c) for c in de["contrasts"])
    matrix = check_design(
        sheet,
        de["design"],
        de["categorical"],
        reference_levels(contrasts, de["reference_levels"]),
        sheet_file=sheet_file,
        config_file=config_file,
    )
    check_contrasts(
        sheet,
        de["contrasts"],
        de["design"],
        coefficients=list(matrix.columns),
        sheet_file=sheet_file,
        config_file=config_file,
    )
    _check_colour_by(config, sheet, config_file)
    counts = config["counts"]
    header = read_header(counts["path"], counts["format"])
    check_samples_in_counts(sheet, header, sheet_file)
    if not config["annotation"] and header.gene_ids:
        check_species(
            header.gene_ids, config["species"], file=header.path, has_symbols=header.has_symbols
        )
    _check_gene_set_files(config)
    _check_annotation(config["annotation"], config_file)
    return sheet


def check_samples_in_counts(
    sheet: pd.DataFrame, header: CountHeader, sheet_file: str | Path | None
) -> None:
    """Every sample of the sheet is a column of the counts (its ``count_column`` if given).

    Count columns that are not in the sheet are fine: the import logs them as ignored.

    Raises
    ------
    InputError
        Naming the missing samples with their sheet lines, the count file, the columns it has
        and close matches.
    """
    columns = count_columns(sheet)
    present = set(header.samples)
    absent = [sample for sample, column in columns.items() if column not in present]
    if not absent:
        return
    mapped = any(columns[s] != s for s in absent)
    described = [_absent_sample(sheet, s, columns[s], header.samples) for s in absent]
    more = f" and {len(absent) - MAX_LISTED} more" if len(absent) > MAX_LISTED else ""
    raise InputError(
        f"{len(absent)} sample(s) are not in the counts {header.path} ({header.format}): "
        f"{'; '.join(described[:MAX_LISTED])}{more}. The counts' sample columns are "
        f"{_listed(header.samples)}",
        file=sheet_file,
        where=f"column `{COUNT_COLUMN if mapped else 'sample'}`",
        fix="spell each name exactly as in the counts (case, dashes, dots and spaces matter), "
        f"or give each sample's count column in a `{COUNT_COLUMN}` column of the sheet, or "
        "remove the rows of samples that were not sequenced",
    )


def _absent_sample(sheet: pd.DataFrame, sample: str, column: str, available: Sequence[str]) -> str:
    """``'s7' (line 8; did you mean 'S7'?)`` for a sample whose count column is absent."""
    parts = [f"line {sample_line(sheet, sample)}"]
    if column != sample:
        parts.append(f"count column '{column}'")
    lowered = {name.lower(): name for name in available}
    close = difflib.get_close_matches(column.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        parts.append(f"did you mean '{lowered[close[0]]}'?")
    return f"'{sample}' ({'; '.join(parts)})"


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(f"'{item}'" for item in items[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown


def _check_gene_set_files(config: Mapping[str, Any]) -> None:
    """Parse the user's gene-set files as the jobs will (a malformed or empty one fails now,
    not in the GSEA job)."""
    species = config["species"]
    for path in config["scores"]["gene_sets"]:
        read_gene_sets(path, species)
    for path in config["gsea"]["gene_sets"]:
        read_gmt(path)


def _check_annotation(annotation: str | None, config_file: str | Path | None) -> None:
    """Parse the annotation now, unless it is large (a big GTF is left to the import job)."""
    if not annotation:
        return
    path = Path(annotation)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputError(
            f"the annotation cannot be read ({error.strerror})",
            file=path,
            fix=f"make it readable by the user running snakemake, or correct `annotation:` in "
            f"{config_file or 'the config'}",
        ) from error
    if size <= MAX_ANNOTATION_BYTES:
        read_annotation(path)


def _check_cohort(cohort: str, config_file: str | Path | None) -> None:
    if not SAFE_NAME.match(cohort):
        raise InputError(
            f"cohort name '{cohort}' is not a safe folder name",
            file=config_file,
            where="key cohort",
            fix="use letters, digits, '_', '-' and '.', starting with a letter or digit",
        )


def _check_paths(config: Mapping[str, Any], config_file: str | Path | None) -> None:
    counts = config["counts"]
    _check_no_pathvars([*_named_paths(config), *_named_gene_sets(config)], config_file)
    for key, value in _named_paths(config):
        if not Path(value).exists():
            raise InputError(
                f"'{value}' does not exist (relative paths are read from the working directory "
                f"{Path.cwd()})",
                file=config_file,
                where=f"key {key}",
                fix=f"correct `{key}`, or run snakemake from (or with --directory set to) the "
                "folder the paths are relative to",
            )
    for key, value in _named_gene_sets(config):
        if not Path(value).is_file():
            raise InputError(
                f"gene-set file '{value}' "
                + ("is a folder" if Path(value).is_dir() else "does not exist")
                + f" (relative paths are read from the working directory {Path.cwd()})",
                file=config_file,
                where=f"key {key}",
                fix=f"give the path of a GMT or signature YAML file in `{key}`, relative to the "
                "working directory, or remove the entry",
            )
    if counts["format"] in ("salmon", "kallisto") and not counts["tx2gene"]:
        raise InputError(
            f"counts.format is '{counts['format']}' but no transcript-to-gene map is given",
            file=config_file,
            where="key counts.tx2gene",
            fix="set counts.tx2gene to a transcript/gene table or the GTF used for indexing",
        )


def _check_no_pathvars(named: list[tuple[str, str]], config_file: str | Path | None) -> None:
    """Snakemake rewrites parts of a rule's file paths: ``<name>`` in lower case is a path
    variable (``<results>``, ``<resources>``) and ``{name}`` a wildcard, so a config path
    holding either would be read as another path or rejected with Snakemake's own error."""
    for key, value in named:
        found = _SNAKEMAKE_PATH_SYNTAX.search(str(value))
        if found:
            raise InputError(
                f"'{value}' holds '{found.group(0)}', which Snakemake reads as a "
                + ("wildcard" if found.group(0).startswith("{") else "path variable")
                + " in a rule's file paths",
                file=config_file,
                where=f"key {key}",
                fix="rename the file or folder without it (or link it under a plain name) and "
                f"give that path in `{key}`",
            )


def _named_paths(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The counts, sheet, tx2gene and annotation paths the config gives, by key."""
    counts = config["counts"]
    named = [("counts.path", counts["path"]), ("samples", config["samples"])]
    optional = [("counts.tx2gene", counts["tx2gene"]), ("annotation", config["annotation"])]
    return named + [(key, value) for key, value in optional if value]


def _named_gene_sets(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The user's gene-set files by key, e.g. ``("scores.gene_sets[1]", "extra.gmt")``."""
    return [
        (f"{section}.gene_sets[{index}]", str(path))
        for section in ("scores", "gsea")
        for index, path in enumerate(config[section]["gene_sets"])
    ]


def _check_colour_by(
    config: Mapping[str, Any], sheet: pd.DataFrame, config_file: str | Path | None
) -> None:
    for key in ("colour_by", "shape_by"):
        column = config["qc"][key]
        if column == COUNT_COLUMN:
            raise InputError(
                f"qc.{key} names `{COUNT_COLUMN}`, which names each sample's count column and "
                "is not a covariate",
                file=config_file,
                where=f"key qc.{key}",
                fix="use a covariate column of the sample sheet, or leave the key out",
            )
        if column and column not in sheet.columns:
            raise InputError(
                f"qc.{key} names '{column}', not a sample-sheet column "
                f"(columns: {', '.join(sheet.columns)})",
                file=config_file,
                where=f"key qc.{key}",
                fix="use a column of the sample sheet, or leave the key out",
            )
