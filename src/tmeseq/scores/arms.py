"""The contrasts' arms among a fitted model's samples: what the scores are compared and
plotted by.

:func:`compare_contrasts` runs :func:`~tmeseq.scores.compare_scores` for every contrast of the
fit (the contrast vectors come from the model, so coefficient contrasts work as level ones);
:func:`arm_groups` and :func:`contrast_pairs` give the score plots their groups;
:func:`plot_groups` extends them to contrasts given as design coefficients (the samples that
carry the coefficients' terms, :func:`coefficient_groups`) and :func:`paired_by` finds the
design term that pairs samples across the groups (e.g. ``patient``), so the plots can join
each pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tmeseq.scores.compare import compare_scores
from tmeseq.scores.compute import ScoreResult
from tmeseq.settings import Contrast

__all__ = [
    "OTHER_SAMPLES",
    "arm_groups",
    "coefficient_groups",
    "coefficient_sides",
    "compare_contrasts",
    "contrast_groups",
    "contrast_pairs",
    "paired_by",
    "plot_groups",
]

OTHER_SAMPLES = "other samples"
"""Group of the samples that carry none of a coefficient contrast's terms."""


def contrast_groups(
    obs: pd.DataFrame, contrast: Contrast
) -> tuple[list[str] | None, list[str] | None]:
    """The samples of a level contrast's test and reference arms (None, None otherwise).

    Parameters
    ----------
    obs : pandas.DataFrame
        The samples' sheet (the model's ``obs``), indexed by sample.
    contrast : Contrast
        The contrast.

    Returns
    -------
    (list of str, list of str) or (None, None)
        Test samples and reference samples, in sheet order.
    """
    if not contrast.is_levels:
        return None, None
    values = obs[str(contrast.variable)].astype(str)
    return (
        list(values.index[values == str(contrast.test)]),
        list(values.index[values == str(contrast.reference)]),
    )


def compare_contrasts(
    result: ScoreResult,
    design_matrix: pd.DataFrame,
    vectors: Mapping[str, Sequence[float]],
    obs: pd.DataFrame,
    contrasts: Sequence[Contrast],
) -> dict[str, pd.DataFrame]:
    """Test every contrast on every score (the ``scores/<contrast>.tsv`` tables).

    Parameters
    ----------
    result : ScoreResult
        The per-sample scores and their gene coverage.
    design_matrix : pandas.DataFrame
        The DE fit's design matrix (samples x coefficients).
    vectors : mapping of str to sequence of float
        Contrast name -> its weights over the design's columns (the model's
        ``uns["de"]["contrast_vectors"]``).
    obs : pandas.DataFrame
        The samples' sheet, for the arms' raw means.
    contrasts : sequence of Contrast
        The contrasts, in output order.

    Returns
    -------
    dict of str to pandas.DataFrame
        Contrast name -> its table, in the order of ``contrasts``.
    """
    tables = {}
    for contrast in contrasts:
        test_samples, reference_samples = contrast_groups(obs, contrast)
        tables[contrast.name] = compare_scores(
            result.scores,
            design_matrix,
            np.asarray(vectors[contrast.name], dtype=float),
            test_samples,
            reference_samples,
            coverage=result.coverage,
        )
    return tables


def arm_groups(obs: pd.DataFrame, contrasts: Sequence[Contrast]) -> pd.Series:
    """Each sample's arm: the first level contrast's variable, levels in sheet order.

    Returns
    -------
    pandas.Series
        Categorical, indexed by sample and named after the variable; ``"all samples"`` for
        every sample when no contrast compares levels.
    """
    variable = next((str(c.variable) for c in contrasts if c.is_levels), None)
    if variable is None:
        return pd.Series("all samples", index=obs.index)
    values = obs[variable].astype(str)
    return pd.Series(
        pd.Categorical(values, categories=list(dict.fromkeys(values))),
        index=values.index,
        name=variable,
    )


def contrast_pairs(contrasts: Sequence[Contrast]) -> dict[str, tuple[str, str]]:
    """Contrast name -> (test, reference) level, for the level contrasts."""
    return {c.name: (str(c.test), str(c.reference)) for c in contrasts if c.is_levels}


def coefficient_groups(design_matrix: pd.DataFrame, contrast: Contrast) -> pd.Series:
    """Which of a coefficient contrast's terms each sample carries.

    Parameters
    ----------
    design_matrix : pandas.DataFrame
        The fit's design matrix (samples x coefficients), rows in sample-sheet order.
    contrast : Contrast
        A contrast given as ``coefficients``.

    Returns
    -------
    pandas.Series
        Per sample, the contrast's coefficients whose design column is not 0 there, joined
        by ``" + "`` (e.g. ``arm[T.drug]``), or :data:`OTHER_SAMPLES`; named
        ``terms of <contrast>``.

    Raises
    ------
    ValueError
        If the contrast compares levels, or names a column the design matrix lacks.
    """
    if contrast.coefficients is None:
        raise ValueError(f"contrast {contrast.name!r} compares levels, not coefficients")
    names = [name for name, _ in contrast.coefficients]
    missing = [name for name in names if name not in design_matrix.columns]
    if missing:
        raise ValueError(f"the design matrix has no column(s) {missing} of {contrast.name!r}")
    carried = design_matrix[names].to_numpy(dtype=np.float64) != 0
    labels = [
        " + ".join(name for name, on in zip(names, row, strict=True) if on) or OTHER_SAMPLES
        for row in carried
    ]
    return pd.Series(labels, index=design_matrix.index, name=f"terms of {contrast.name}")


def coefficient_sides(
    design_matrix: pd.DataFrame, vector: Sequence[float]
) -> tuple[list[str], list[str]]:
    """The samples on each side of a coefficient contrast.

    A sample's side is the sign of its design row times the contrast vector: positive is the
    test side; negative the reference side, or, when no sample is negative (a single
    coefficient, say), the samples at 0 (those carrying none of the terms).

    Returns
    -------
    (list of str, list of str)
        Test samples and reference samples, in design-matrix order.
    """
    value = design_matrix.to_numpy(dtype=np.float64) @ np.asarray(vector, dtype=np.float64)
    value[np.isclose(value, 0.0)] = 0.0
    names = design_matrix.index.astype(str)
    reference = value < 0 if (value < 0).any() else value == 0
    return list(names[value > 0]), list(names[reference])


def _group_of(groups: pd.Series, samples: Sequence[str] | None) -> str | None:
    """The group whose samples are exactly ``samples`` (None if they are not one group)."""
    if not samples:
        return None
    labels = groups.set_axis(groups.index.astype(str)).astype(str)
    chosen = set(samples)
    found = set(labels[labels.index.isin(list(chosen))])
    if len(found) != 1:
        return None
    label = found.pop()
    return label if set(labels.index[labels == label]) == chosen else None


def plot_groups(
    obs: pd.DataFrame,
    design_matrix: pd.DataFrame,
    vectors: Mapping[str, Sequence[float]],
    contrasts: Sequence[Contrast],
) -> tuple[pd.Series, dict[str, tuple[str, str]]]:
    """The groups the score plots draw, and the contrasts drawn between two of them.

    The groups are :func:`arm_groups`; when every contrast is given as coefficients they are
    the first contrast's :func:`coefficient_groups` instead, so its groups still show. A
    contrast whose test and reference samples are each exactly one group is drawn between
    those two groups (a level contrast of the plotted variable always is).

    Parameters
    ----------
    obs : pandas.DataFrame
        The samples' sheet (the model's ``obs``), indexed by sample, in sheet order.
    design_matrix : pandas.DataFrame
        The fit's design matrix, same samples.
    vectors : mapping of str to sequence of float
        Contrast name -> its weights over the design's columns.
    contrasts : sequence of Contrast
        The contrasts.

    Returns
    -------
    groups : pandas.Series
        Each sample's group, in sheet order, named after what it is.
    pairs : dict of str to (str, str)
        Contrast name -> (test group, reference group), for the contrasts drawn as brackets.
    """
    groups = arm_groups(obs, contrasts)
    by_terms = [c for c in contrasts if not c.is_levels]
    if by_terms and len(by_terms) == len(contrasts):
        groups = coefficient_groups(design_matrix, by_terms[0])
    pairs: dict[str, tuple[str, str]] = {}
    for contrast in contrasts:
        sides = (
            contrast_groups(obs, contrast)
            if contrast.is_levels
            else coefficient_sides(design_matrix, vectors[contrast.name])
        )
        test, reference = (_group_of(groups, side) for side in sides)
        if test is not None and reference is not None and test != reference:
            pairs[contrast.name] = (test, reference)
    return groups, pairs


def paired_by(obs: pd.DataFrame, variables: Sequence[str], groups: pd.Series) -> pd.Series | None:
    """The design term that pairs samples across ``groups`` (e.g. ``patient``), if any.

    A term pairs samples when it is a categorical sample-sheet column of the design, not the
    grouping itself, whose every level holds at most one sample per group and some level
    holds samples of two or more groups (before and on treatment of one patient). A blocking
    term with several samples of a group per level (a batch) does not pair.

    Parameters
    ----------
    obs : pandas.DataFrame
        The samples' sheet, indexed by sample.
    variables : sequence of str
        The design's variables (:func:`tmeseq.design.design_variables`), in the order tried.
    groups : pandas.Series
        Each sample's group (:func:`plot_groups`).

    Returns
    -------
    pandas.Series or None
        The pairing term's level of each sample (text), named after the term.
    """
    group = groups.set_axis(groups.index.astype(str)).astype(str)
    for variable in variables:
        if variable == groups.name or variable not in obs.columns:
            continue
        values = obs[variable]
        if pd.api.types.is_float_dtype(values) or values.isna().any():
            continue
        units = values.astype(str).set_axis(obs.index.astype(str)).rename(variable)
        frame = pd.DataFrame({"unit": units, "group": group.reindex(units.index)})
        per_unit = frame.groupby("unit")["group"]
        if (per_unit.size() == per_unit.nunique()).all() and (per_unit.nunique() > 1).any():
            return units
    return None
