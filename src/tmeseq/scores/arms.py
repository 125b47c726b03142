"""The contrasts' arms among a fitted model's samples: what the scores are compared and
plotted by.

:func:`compare_contrasts` runs :func:`~tmeseq.scores.compare_scores` for every contrast of the
fit (the contrast vectors come from the model, so coefficient contrasts work as level ones);
:func:`arm_groups` and :func:`contrast_pairs` give the score plots their groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tmeseq.scores.compare import compare_scores
from tmeseq.scores.compute import ScoreResult
from tmeseq.settings import Contrast

__all__ = ["arm_groups", "compare_contrasts", "contrast_groups", "contrast_pairs"]


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
