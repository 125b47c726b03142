"""Checks of a run's configuration that need more than the JSON Schema.

The schema (``workflow/schemas/config.schema.yaml``) checks types and fills defaults; this
module checks what the schema cannot: that every file the config names exists (counts, sample
sheet, tx2gene, annotation, the user's gene-set files), that names are safe, and that the
design and contrasts fit the sample sheet. It runs when the workflow loads, so every mistake
is reported before any job starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from tmeseq.design import SAFE_NAME, check_contrasts, check_design
from tmeseq.errors import InputError
from tmeseq.samplesheet import read_sample_sheet
from tmeseq.settings import Contrast, reference_levels


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
    matrix = check_design(
        sheet,
        de["design"],
        de["categorical"],
        reference_levels(tuple(Contrast.from_config(c) for c in de["contrasts"])),
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
    return sheet


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
        if column and column not in sheet.columns:
            raise InputError(
                f"qc.{key} names '{column}', not a sample-sheet column "
                f"(columns: {', '.join(sheet.columns)})",
                file=config_file,
                where=f"key qc.{key}",
                fix="use a column of the sample sheet, or leave the key out",
            )
