"""Arm comparison of per-sample scores: ordinary least squares on the DE design, one contrast.

Each score ``y`` (one value per sample) is fitted as ``y = X beta + e`` with the same design
matrix ``X`` as the differential-expression model (so batch, pairing or other covariates are
accounted for), and the contrast ``c' beta`` is tested with a Wald t-test::

    se(c' beta) = sqrt(s^2 * c' (X'X)^-1 c),   s^2 = RSS / (n - p),   t ~ t(n - p)

two-sided. P-values are adjusted with Benjamini-Hochberg across the scores of the contrast
(scores that are NA, e.g. no gene found, are left out of the adjustment and get NA).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from tmeseq.de.rstats import bh_adjust
from tmeseq.design import check_rank
from tmeseq.errors import InputError

logger = logging.getLogger(__name__)

#: Columns of ``scores/<contrast>.tsv`` required by the output contract, in order.
CONTRACT_COLUMNS = (
    "score",
    "n_genes",
    "n_found",
    "mean_test",
    "mean_reference",
    "difference",
    "pvalue",
    "padj",
)
#: Extra columns appended after the contract's (allowed: extension at the end only).
EXTRA_COLUMNS = ("se", "stat", "df", "low_coverage", "scale")

_WHERE = "design matrix (samples x coefficients)"


@dataclass(frozen=True)
class ContrastFit:
    """Per-score estimates of one contrast.

    Attributes
    ----------
    estimate, se, stat, pvalue : numpy.ndarray
        ``c' beta``, its standard error, the t statistic and the two-sided p-value, one per
        score (NaN where the score is NA or its residual variance is 0).
    df : int
        Residual degrees of freedom, ``n - p``.
    """

    estimate: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pvalue: np.ndarray
    df: int


def compare_scores(
    scores: pd.DataFrame,
    design_matrix: pd.DataFrame,
    contrast: np.ndarray,
    test_samples: Sequence[str] | None = None,
    reference_samples: Sequence[str] | None = None,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Test one contrast of the design on every score.

    Parameters
    ----------
    scores : pandas.DataFrame
        Samples x scores (:attr:`ScoreResult.scores`). Must hold every sample of the design
        (extra samples are ignored). A score that is NA in every sample gets NA statistics;
        one NA in only some samples is an error.
    design_matrix : pandas.DataFrame
        Samples x coefficients (float), indexed by sample, as the DE fit used it (PyDESeq2's
        ``obsm["design_matrix"]`` or formulaic's ``model_matrix``). Must be of full column rank
        with more samples than coefficients.
    contrast : numpy.ndarray
        Weights over the design's columns, e.g. ``[0, 0, 1, 0]`` for one coefficient or
        ``[0, 0, -1, 1]`` for the difference of two.
    test_samples, reference_samples : sequence of str, optional
        Samples of the contrast's test and reference groups, for the raw group means
        ``mean_test`` / ``mean_reference`` (NA when not given, e.g. for a contrast over
        continuous covariates).
    coverage : pandas.DataFrame, optional
        :attr:`ScoreResult.coverage`, which supplies ``n_genes``, ``n_found``,
        ``low_coverage`` and ``scale`` (NA when not given).

    Returns
    -------
    pandas.DataFrame
        One row per score, in the column order of ``scores``: ``score n_genes n_found
        mean_test mean_reference difference pvalue padj`` then ``se stat df low_coverage
        scale``. ``difference`` is the model-adjusted ``c' beta``, in the score's units.

    Raises
    ------
    InputError
        If samples are missing, the design is rank-deficient (the confounded columns are
        named) or leaves no residual degrees of freedom, or the contrast does not fit the
        design.
    """
    design = _checked_design(design_matrix)
    weights = _checked_contrast(contrast, design.columns)
    values = _aligned_scores(scores, design.index)
    fit = fit_contrast(design.to_numpy(), values.to_numpy(), weights)
    table = pd.DataFrame({"score": values.columns.astype(str)})
    table = table.join(_coverage_columns(table["score"], coverage))
    table["mean_test"] = _group_means(values, test_samples, "test_samples")
    table["mean_reference"] = _group_means(values, reference_samples, "reference_samples")
    table["difference"] = fit.estimate
    table["pvalue"] = fit.pvalue
    table["padj"] = bh_adjust(fit.pvalue)
    table["se"] = fit.se
    table["stat"] = fit.stat
    table["df"] = fit.df
    return table[[*CONTRACT_COLUMNS, *EXTRA_COLUMNS]]


def fit_contrast(x: np.ndarray, y: np.ndarray, contrast: np.ndarray) -> ContrastFit:
    """OLS of each column of ``y`` on ``x`` and the Wald t-test of ``contrast' beta``.

    Parameters
    ----------
    x : numpy.ndarray
        ``n x p`` design of full column rank, ``n > p``.
    y : numpy.ndarray
        ``n x k`` responses; a column that is entirely NaN gives NaN results.
    contrast : numpy.ndarray
        Length-``p`` weights.

    Returns
    -------
    ContrastFit
    """
    n, p = x.shape
    df = n - p
    q, r = np.linalg.qr(x)
    usable = ~np.isnan(y).all(axis=0)
    filled = np.where(usable, y, 0.0)
    beta = np.linalg.solve(r, q.T @ filled)
    rss = ((filled - x @ beta) ** 2).sum(axis=0)
    projection = np.linalg.solve(r.T, contrast)
    se = np.sqrt(rss / df * float(projection @ projection))
    estimate = contrast @ beta
    exact = rss <= np.finfo(np.float64).eps * n * (filled**2).sum(axis=0)
    testable = usable & ~exact
    stat = np.divide(estimate, se, out=np.full(len(se), np.nan), where=testable)
    pvalue = np.where(testable, 2.0 * stats.t.sf(np.abs(stat), df), np.nan)
    estimate = np.where(usable, estimate, np.nan)
    se = np.where(usable, se, np.nan)
    if (usable & ~testable).any():
        logger.warning(
            "%d score(s) fit the design exactly (zero residual variance); their p-values are NA",
            int((usable & ~testable).sum()),
        )
    return ContrastFit(estimate=estimate, se=se, stat=stat, pvalue=pvalue, df=df)


def _checked_design(design_matrix: pd.DataFrame) -> pd.DataFrame:
    """Validate the design matrix: numeric, finite, unique samples, full rank, df > 0."""
    design = design_matrix.astype(np.float64)
    design.index = design.index.astype(str)
    if design.index.duplicated().any():
        raise InputError("sample names repeat in the design matrix", where=_WHERE)
    if not np.isfinite(design.to_numpy()).all():
        raise InputError("the design matrix holds missing or infinite values", where=_WHERE)
    check_rank(design, "the design matrix of the score model", where=_WHERE)
    return design


def _checked_contrast(contrast: np.ndarray, columns: pd.Index) -> np.ndarray:
    """The contrast as a float vector matching the design's columns."""
    weights = np.asarray(contrast, dtype=np.float64).ravel()
    if weights.shape != (len(columns),):
        raise InputError(
            f"the contrast has {weights.size} weight(s) but the design has {len(columns)} "
            f"columns ({', '.join(map(str, columns))})",
            where="contrast vector",
            fix="give one weight per design column, in the design's column order",
        )
    if not np.isfinite(weights).all() or not weights.any():
        raise InputError(
            "the contrast weights must be finite and not all zero", where="contrast vector"
        )
    return weights


def _aligned_scores(scores: pd.DataFrame, samples: pd.Index) -> pd.DataFrame:
    """The scores of the design's samples, in its order, as float."""
    values = scores.set_axis(scores.index.astype(str), axis=0).astype(np.float64)
    missing = samples.difference(values.index)
    if len(missing) > 0:
        raise InputError(
            f"no scores for design sample(s): {', '.join(missing[:10])}",
            where="scores table",
            fix="score the same samples the design was built from",
        )
    extra = values.index.difference(samples)
    if len(extra) > 0:
        logger.info("Ignoring %d scored sample(s) not in the design", len(extra))
    values = values.loc[samples]
    partial = values.columns[values.isna().any() & ~values.isna().all()]
    if len(partial) > 0:
        raise InputError(
            f"score(s) {', '.join(map(str, partial))} are missing for some samples only",
            where="scores table",
            fix="give every sample a value, or leave the score NA in every sample",
        )
    return values


def _group_means(values: pd.DataFrame, samples: Sequence[str] | None, what: str) -> np.ndarray:
    """Raw mean of each score over ``samples`` (NaN when ``samples`` is None)."""
    if samples is None:
        return np.full(values.shape[1], np.nan)
    names = pd.Index([str(s) for s in samples])
    unknown = names.difference(values.index)
    if len(names) == 0 or len(unknown) > 0:
        raise InputError(
            f"{what} must name samples of the design; unknown: {', '.join(unknown[:10])}"
            if len(unknown)
            else f"{what} is empty",
            where=what,
            fix="pass the samples of the contrast's group (e.g. those whose arm is the level)",
        )
    return values.loc[names].mean(axis=0).to_numpy()


def _coverage_columns(score_names: pd.Series, coverage: pd.DataFrame | None) -> pd.DataFrame:
    """``n_genes n_found low_coverage scale`` per score from the coverage table (NA if absent)."""
    wanted = ["n_genes", "n_found", "low_coverage", "scale"]
    if coverage is None:
        frame = pd.DataFrame(index=score_names.index, columns=wanted)
    else:
        frame = coverage.set_index("score").reindex(index=score_names.to_numpy(), columns=wanted)
        frame.index = score_names.index
    return frame.astype(
        {"n_genes": "Int64", "n_found": "Int64", "low_coverage": "boolean", "scale": "string"}
    )
