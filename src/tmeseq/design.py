"""Checks of the design formula and the contrasts against the sample sheet.

Everything here needs only the sample sheet, so it runs when the workflow loads, before any
job starts: a design that cannot be fitted or a contrast that names a missing level is
reported at once, with the file, the column or level, and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix
from formulaic.errors import FormulaicError

from tmeseq.errors import InputError, did_you_mean
from tmeseq.samplesheet import COUNT_COLUMN, covariates, is_numeric, row_line

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def design_variables(design: str, config_file: str | Path | None = None) -> list[str]:
    """The sample-sheet columns a design formula uses, in sorted order.

    Raises
    ------
    InputError
        If the formula does not parse.
    """
    try:
        variables = Formula(design).required_variables
    except (FormulaicError, SyntaxError, ValueError) as error:
        raise InputError(
            f"the design formula '{design}' cannot be parsed ({_first_line(error)})",
            file=config_file,
            where="key de.design",
            fix="write it as in R, e.g. '~ batch + arm' or '~ patient + timepoint'",
        ) from error
    return sorted(variables)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def check_design(
    sheet: pd.DataFrame,
    design: str,
    categorical: Sequence[str] = (),
    references: Mapping[str, str] | None = None,
    *,
    sheet_file: str | Path | None = None,
    config_file: str | Path | None = None,
) -> pd.DataFrame:
    """Check that the design can be fitted on this sample sheet.

    Parameters
    ----------
    sheet : pandas.DataFrame
        The sample sheet (text cells) from :func:`tmeseq.samplesheet.read_sample_sheet`.
    design : str
        Formula such as ``"~ batch + arm"``.
    categorical : sequence of str
        Numeric columns to treat as categories.
    references : mapping of str to str, optional
        Reference level per factor (see :func:`tmeseq.settings.reference_levels`).
    sheet_file, config_file : str or Path, optional
        Named in error messages.

    Returns
    -------
    pandas.DataFrame
        The design matrix (samples x coefficients).

    Raises
    ------
    InputError
        If the formula refers to missing or badly named columns (or to ``count_column``), a
        design column has missing values, a mostly numeric column holds text, a factor has a
        single level or a one-sample level that differs from another only in case, or the
        design is not of full rank (the confounded terms are named).
    """
    variables = design_variables(design, config_file)
    _check_columns_exist(sheet, variables, design, sheet_file, config_file)
    if COUNT_COLUMN in variables:
        raise InputError(
            f"the design '{design}' uses `{COUNT_COLUMN}`, which names each sample's column in "
            "the count file and is not a covariate",
            file=config_file,
            where="key de.design",
            fix=f"remove `{COUNT_COLUMN}` from de.design; describe the samples with other columns",
        )
    for column in categorical:
        if column not in sheet.columns:
            raise InputError(
                f"de.categorical lists '{column}', which is not a column of the sample sheet "
                f"(columns: {', '.join(sheet.columns)})",
                file=config_file,
                where="key de.categorical",
                fix="list only sample-sheet columns, spelled exactly as in its header",
            )
    _check_missing_values(sheet, variables, sheet_file)
    _check_text_in_numbers(sheet, [v for v in variables if v not in categorical], sheet_file)
    typed = covariates(sheet, categorical, references)
    _check_factor_levels(typed, variables, sheet_file)
    _check_case_twins(typed, variables, sheet_file)
    matrix = design_matrix(typed, design, config_file)
    check_rank(matrix, f"the design '{design}'", file=config_file)
    return matrix


def _check_columns_exist(
    sheet: pd.DataFrame,
    variables: Sequence[str],
    design: str,
    sheet_file: str | Path | None,
    config_file: str | Path | None,
) -> None:
    missing = [v for v in variables if v not in sheet.columns]
    if missing:
        raise InputError(
            f"the design '{design}' uses {_names(missing)}, not column(s) of the sample sheet "
            f"{sheet_file or ''} (its columns: {', '.join(sheet.columns)})".replace("  ", " "),
            file=config_file,
            where="key de.design",
            fix="use column names from the sample sheet's header, or add the missing columns",
        )
    awkward = [v for v in variables if not IDENTIFIER.match(v)]
    if awkward:
        raise InputError(
            f"design column name(s) {_names(awkward)} are not plain identifiers",
            file=sheet_file,
            where="header (line 1)",
            fix="rename the column(s) to letters, digits and '_' (not starting with a digit), "
            "and use the new names in de.design",
        )


def _rows(sheet: pd.DataFrame, mask: pd.Series | np.ndarray) -> str:
    """``'s3' (line 4), 's7' (line 8)`` for the rows where ``mask`` is True."""
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    shown = [f"'{sheet.index[i]}' (line {row_line(int(i))})" for i in positions[:10]]
    more = len(positions) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _check_missing_values(
    sheet: pd.DataFrame, variables: Sequence[str], sheet_file: str | Path | None
) -> None:
    for column in variables:
        empty = sheet[column].isna()
        if empty.any():
            raise InputError(
                f"column '{column}' is used in the design but is empty (or NA) for sample(s) "
                f"{_rows(sheet, empty)}",
                file=sheet_file,
                where=f"column `{column}`",
                fix="fill in a value for every sample, or remove those samples from the sheet "
                "(DESeq2 cannot fit a sample with a missing covariate)",
            )


def _check_text_in_numbers(
    sheet: pd.DataFrame, variables: Sequence[str], sheet_file: str | Path | None
) -> None:
    """A column that is numbers but for a few text cells would silently become a factor with
    one level per value (and a design with more coefficients than samples): name the cells."""
    for column in variables:
        values = sheet[column].dropna().astype(str)
        numbers = pd.to_numeric(values, errors="coerce")
        text = numbers.isna()
        if values.empty or not text.any() or text.sum() * 2 >= len(values):
            continue
        mask = sheet[column].astype(str).isin(set(values[text])) & sheet[column].notna()
        first = values[text].iloc[0]
        raise InputError(
            f"column '{column}' holds numbers except for {_rows(sheet, mask)} "
            f"(value '{first}'), so the whole column would be read as {values.nunique()} "
            "categories instead of a number",
            file=sheet_file,
            where=f"column `{column}`",
            fix=f"correct the cell(s) to a number (e.g. '10', not '{first}'); or, if '{column}' "
            "is really categorical (e.g. batch or cage codes), list it in de.categorical so "
            "that every value is a level",
        )


def _check_factor_levels(
    typed: pd.DataFrame, variables: Sequence[str], sheet_file: str | Path | None
) -> None:
    for column in variables:
        if isinstance(typed[column].dtype, pd.CategoricalDtype) and typed[column].nunique() < 2:
            raise InputError(
                f"column '{column}' is a factor in the design but has a single level "
                f"('{typed[column].iloc[0]}')",
                file=sheet_file,
                where=f"column `{column}`",
                fix=f"remove '{column}' from de.design, or check the sample sheet",
            )


def _check_case_twins(
    typed: pd.DataFrame, variables: Sequence[str], sheet_file: str | Path | None
) -> None:
    """A level of one sample that equals another level but for case or spacing ('Ctrl' among
    'ctrl') is almost always a typo, and would add a coefficient with no replicate."""
    for column in variables:
        values = typed[column]
        if not isinstance(values.dtype, pd.CategoricalDtype):
            continue
        sizes = values.value_counts()
        for level, size in sizes.items():
            twins = [
                str(other)
                for other in sizes.index
                if other != level and _folded(str(other)) == _folded(str(level))
            ]
            if size == 1 and twins:
                raise InputError(
                    f"level '{level}' of column '{column}' has a single sample "
                    f"({_rows(typed, values == level)}) and differs from level '{twins[0]}' "
                    "only in case or spacing",
                    file=sheet_file,
                    where=f"column `{column}`",
                    fix=f"did you mean '{twins[0]}'? Write the level exactly as in the other rows "
                    "(spelling and case matter)",
                )


def _folded(level: str) -> str:
    return "".join(level.split()).casefold()


def design_matrix(
    typed: pd.DataFrame, design: str, config_file: str | Path | None = None
) -> pd.DataFrame:
    """The design matrix (samples x coefficients, formulaic's names) of typed covariates.

    Raises
    ------
    InputError
        If the formula cannot be built from the sheet's columns and values.
    """
    try:
        matrix = model_matrix(design, typed, ensure_full_rank=True)
    except (FormulaicError, ValueError, TypeError, NameError) as error:
        raise InputError(
            f"the design '{design}' cannot be built from the sample sheet ({_first_line(error)})",
            file=config_file,
            where="key de.design",
            fix="check the formula against the sample sheet's columns and values",
        ) from error
    return pd.DataFrame(np.asarray(matrix, dtype=float), index=typed.index, columns=matrix.columns)


def confounded_terms(matrix: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """Design columns that are linear combinations of the columns before them.

    Returns
    -------
    list of (str, list of str)
        For each redundant column, the earlier columns it is a combination of.
    """
    values = matrix.to_numpy(dtype=float)
    kept: list[int] = []
    redundant: list[tuple[str, list[str]]] = []
    for j in range(values.shape[1]):
        candidate = [*kept, j]
        if np.linalg.matrix_rank(values[:, candidate]) == len(candidate):
            kept.append(j)
            continue
        coef, *_ = np.linalg.lstsq(values[:, kept], values[:, j], rcond=None)
        partners = [
            str(matrix.columns[k]) for k, c in zip(kept, coef, strict=True) if abs(c) > 1e-8
        ]
        redundant.append((str(matrix.columns[j]), partners))
    return redundant


def check_rank(
    matrix: pd.DataFrame,
    label: str,
    *,
    file: str | Path | None = None,
    where: str | None = "key de.design",
) -> None:
    """Check that a design matrix can be fitted: residual degrees of freedom, full rank.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Samples x coefficients, named as the design names them.
    label : str
        How messages name the design, e.g. ``"the design '~ batch + arm'"``.
    file, where : optional
        Named in messages.

    Raises
    ------
    InputError
        With no residual degrees of freedom, or when terms are confounded (named, with the
        columns each is a combination of).
    """
    n_samples, n_coef = matrix.shape
    if n_coef >= n_samples:
        raise InputError(
            f"{label} has {n_coef} coefficients for {n_samples} samples, which leaves no "
            "residual degrees of freedom to estimate dispersion or variance",
            file=file,
            where=where,
            fix="use a simpler design or add samples",
        )
    redundant = confounded_terms(matrix)
    if redundant:
        details = "; ".join(
            f"'{term}' = combination of {', '.join(repr(p) for p in partners) or 'nothing'}"
            for term, partners in redundant
        )
        raise InputError(
            f"{label} is not of full rank: some terms are confounded and cannot "
            f"be told apart ({details})",
            file=file,
            where=where,
            fix="drop one of the confounded variables from the design, or fix the sample sheet "
            "(e.g. a batch that holds a single arm cannot be separated from that arm)",
        )


def check_contrasts(
    sheet: pd.DataFrame,
    contrasts: Sequence[Mapping[str, Any]],
    design: str,
    *,
    coefficients: Sequence[str] = (),
    sheet_file: str | Path | None = None,
    config_file: str | Path | None = None,
) -> None:
    """Check each contrast against the sample sheet and the design.

    ``coefficients`` are the design matrix's column names, against which contrasts given as
    a linear combination of coefficients are checked.

    Raises
    ------
    InputError
        If a name is not a safe file name or is repeated, the variable is not a column or not
        in the design, a level is absent (the existing levels are listed), or test equals
        reference.
    """
    variables = set(design_variables(design, config_file))
    seen: set[str] = set()
    for i, contrast in enumerate(contrasts):
        where = f"de.contrasts[{i}] ('{contrast['name']}')"
        _check_contrast_name(contrast["name"], seen, where, config_file)
        seen.add(contrast["name"])
        if "coefficients" in contrast:
            _check_coefficients(contrast["coefficients"], coefficients, where, config_file)
            continue
        variable = contrast["variable"]
        if variable not in sheet.columns:
            raise InputError(
                f"contrast variable '{variable}' is not a column of the sample sheet "
                f"{sheet_file or ''} (its columns: {', '.join(sheet.columns)})".replace("  ", " "),
                file=config_file,
                where=where,
                fix="set `variable:` to the sample-sheet column that holds the arms",
            )
        if variable not in variables:
            raise InputError(
                f"contrast variable '{variable}' is not in the design '{design}'",
                file=config_file,
                where=where,
                fix=f"add '{variable}' to de.design (e.g. '~ {variable}')",
            )
        _check_levels(sheet, contrast, where, sheet_file, config_file)


def _check_coefficients(
    weights: Mapping[str, float],
    coefficients: Sequence[str],
    where: str,
    config_file: str | Path | None,
) -> None:
    unknown = [name for name in weights if name not in coefficients]
    if unknown:
        raise InputError(
            f"coefficient(s) {_names(unknown)} are not in the design matrix, whose "
            f"coefficients are {_names(coefficients)}",
            file=config_file,
            where=where,
            fix="name coefficients exactly as listed (quote them in YAML)",
        )
    if not any(weight != 0 for weight in weights.values()):
        raise InputError(
            "every coefficient weight is 0, so the contrast tests nothing",
            file=config_file,
            where=where,
            fix="give at least one coefficient a non-zero weight",
        )


#: Output tables that share a folder with the per-contrast tables: a contrast of that name
#: would overwrite them (de/summary.tsv, scores/coverage.tsv, scores/sample_scores.tsv,
#: scores/tme_comparison.tsv).
RESERVED_CONTRAST_NAMES = frozenset({"summary", "coverage", "sample_scores", "tme_comparison"})


def _check_contrast_name(
    name: str, seen: set[str], where: str, config_file: str | Path | None
) -> None:
    if name in RESERVED_CONTRAST_NAMES or name.endswith(".collections"):
        raise InputError(
            f"contrast name '{name}' is reserved: its tables would collide with another output",
            file=config_file,
            where=where,
            fix="rename the contrast (e.g. 'drug_vs_vehicle'); reserved names are "
            f"{', '.join(sorted(RESERVED_CONTRAST_NAMES))} and names ending in '.collections'",
        )
    if not SAFE_NAME.match(name):
        raise InputError(
            f"contrast name '{name}' is not a safe file name",
            file=config_file,
            where=where,
            fix="use letters, digits, '_', '-' and '.', starting with a letter or digit "
            "(e.g. 'nktr214_vs_vehicle')",
        )
    if name in seen:
        raise InputError(
            f"contrast name '{name}' is used twice",
            file=config_file,
            where=where,
            fix="give every contrast its own name",
        )


def _check_levels(
    sheet: pd.DataFrame,
    contrast: Mapping[str, Any],
    where: str,
    sheet_file: str | Path | None,
    config_file: str | Path | None,
) -> None:
    variable = contrast["variable"]
    levels = sorted(sheet[variable].dropna().unique())
    for role in ("test", "reference"):
        level = str(contrast[role])
        if level not in levels:
            raise InputError(
                f"{role} level '{level}' does not occur in column '{variable}' of the sample "
                f"sheet {sheet_file or ''}; the levels present are {_names(levels)}".replace(
                    "  ", " "
                ),
                file=config_file,
                where=where,
                fix=f"{did_you_mean(level, levels)}set `{role}:` to one of the levels present "
                "(spelling and case matter)",
            )
    if str(contrast["test"]) == str(contrast["reference"]):
        raise InputError(
            f"test and reference are the same level ('{contrast['test']}')",
            file=config_file,
            where=where,
            fix="compare two different levels, e.g. the treatment (test) against the control "
            "(reference)",
        )
    for role in ("test", "reference"):
        level = str(contrast[role])
        members = sheet[variable] == level
        if int(members.sum()) < 2:
            raise InputError(
                f"{role} level '{level}' of column '{variable}' has a single sample "
                f"({_rows(sheet, members)}): the comparison has no replicates in that arm, so "
                "its variance cannot be estimated",
                file=sheet_file,
                where=f"column `{variable}`",
                fix=f"add replicates of '{level}' (at least 2 samples per compared arm), correct "
                f"a mistyped level in column '{variable}', or drop contrast "
                f"'{contrast['name']}' ({config_file or 'the config'}, {where})",
            )


def check_reference_levels(
    sheet: pd.DataFrame,
    references: Mapping[str, Any],
    design: str,
    categorical: Sequence[str] = (),
    *,
    sheet_file: str | Path | None = None,
    config_file: str | Path | None = None,
) -> None:
    """Check ``de.reference_levels``: each variable is a factor of the design, each level one
    of its values.

    Raises
    ------
    InputError
        For a variable not in the design (or continuous) or a level absent from the sheet's
        column, with "did you mean" and the choices.
    """
    variables = design_variables(design, config_file)
    for variable, level in references.items():
        where = f"key de.reference_levels.{variable}"
        if variable not in variables:
            raise InputError(
                f"'{variable}' is not a variable of the design '{design}' (its variables: "
                f"{_names(variables)})",
                file=config_file,
                where=where,
                fix=f"{did_you_mean(str(variable), variables)}name a factor of de.design, "
                "spelled as in the sample sheet's header",
            )
        values = sheet[variable].dropna()
        if variable not in categorical and is_numeric(values):
            raise InputError(
                f"'{variable}' is a continuous covariate (every value is a number), so it has "
                "no reference level",
                file=config_file,
                where=where,
                fix=f"list '{variable}' in de.categorical to treat its values as levels, or "
                "remove it from de.reference_levels",
            )
        levels = sorted(values.astype(str).unique())
        if str(level) not in levels:
            raise InputError(
                f"reference level '{level}' does not occur in column '{variable}' of the "
                f"sample sheet {sheet_file or ''}; the levels present are "
                f"{_names(levels)}".replace("  ", " "),
                file=config_file,
                where=where,
                fix=f"{did_you_mean(str(level), levels)}set it to one of the levels present "
                "(spelling and case matter; quote it in YAML)",
            )


def _names(items: Sequence[str]) -> str:
    return ", ".join(f"'{item}'" for item in items)
