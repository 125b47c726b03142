"""The TME comparison table: the parameters of the NKTR-214 vs chemotherapy comparison
(its Tables 1 and 2), answered from the data.

One row per TME parameter (in the comparison's order, with the effector genes also shown one by
one), one block of three columns per contrast::

    parameter  score  <contrast>_direction  <contrast>_difference  <contrast>_padj  ...  scale

``direction`` is ``up`` / ``down`` when ``padj < alpha`` (by the sign of ``difference``),
``not significant`` when ``padj >= alpha`` (the data do not show a change; they do not show
its absence either), and ``not tested`` when there is no p-value (score not in the contrast's
table, no gene found, or not testable). ``difference`` and ``padj`` are copied from the
contrast's score table (:func:`tmeseq.scores.compare_scores`), so the difference is
model-adjusted and in the score's units (``scale``, last column; :func:`scale_name` says it
in words). Rows of different scales are never comparable by their numbers. Nothing here
encodes what a treatment is expected to do: the calls come from the data alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from tmeseq.scores.compute import (
    SCALE_MEAN_Z,
    SCALE_RATIO,
    SCALE_SSGSEA,
    SCALE_VST,
    SCALE_WEIGHTED_Z,
)

UP = "up"
DOWN = "down"
NOT_SIGNIFICANT = "not significant"
NOT_TESTED = "not tested"
DIRECTIONS = (UP, DOWN, NOT_SIGNIFICANT, NOT_TESTED)
"""Every value of a ``<contrast>_direction`` column."""
DIRECTION = "_direction"
DIFFERENCE = "_difference"
PADJ = "_padj"


@dataclass(frozen=True)
class TmeParameter:
    """One row of the TME comparison table.

    Attributes
    ----------
    label : str
        The parameter as the comparison names it.
    score : str
        The score (signature or derived ratio) that reads it out.
    """

    label: str
    score: str


TME_PARAMETERS: tuple[TmeParameter, ...] = (
    TmeParameter("CD8+ T-cell infiltration", "cd8_t_cells"),
    TmeParameter("CD8+ T-cell / Treg ratio", "cd8_treg_ratio"),
    TmeParameter("NK-cell infiltration", "nk_cells"),
    TmeParameter("Treg infiltration", "tregs"),
    TmeParameter("Macrophage polarisation (M1/M2 ratio)", "m1_m2_ratio"),
    TmeParameter("Effector cytokine / cytotoxic genes (IFNG, PRF1, GZMB set)", "effector"),
    TmeParameter("IFN-gamma (IFNG)", "ifng"),
    TmeParameter("Granzyme B (GZMB)", "gzmb"),
    TmeParameter("Perforin (PRF1)", "prf1"),
    TmeParameter("PD-L1 (CD274)", "cd274"),
)
"""Rows of the table, in order (Tables 1 and 2 of the comparison)."""

SCALE_NAMES = MappingProxyType(
    {
        SCALE_VST: "log2 expression (VST)",
        SCALE_MEAN_Z: "mean z-score",
        SCALE_WEIGHTED_Z: "weighted z-score",
        SCALE_SSGSEA: "ssGSEA enrichment score",
        SCALE_RATIO: "log2 ratio",
    }
)
"""Each score scale (the ``scale`` column) in words, for figures and the report."""


def scale_name(scale: object) -> str:
    """A score scale in words (``mean_z`` -> ``mean z-score``); ``""`` when missing.

    Scales without a name (a user's own) are returned as given.
    """
    if scale is None or (isinstance(scale, float) and np.isnan(scale)) or scale is pd.NA:
        return ""
    return SCALE_NAMES.get(str(scale), str(scale))


def direction(difference: float, padj: float, alpha: float) -> str:
    """Call ``up`` / ``down`` / ``not significant`` / ``not tested`` for one score and
    contrast."""
    if np.isnan(padj) or np.isnan(difference):
        return NOT_TESTED
    if padj >= alpha:
        return NOT_SIGNIFICANT
    return UP if difference > 0 else DOWN


def tme_comparison(
    per_contrast: Mapping[str, pd.DataFrame],
    alpha: float,
    parameters: Sequence[TmeParameter] = TME_PARAMETERS,
) -> pd.DataFrame:
    """Build the TME comparison table from the per-contrast score tables.

    Parameters
    ----------
    per_contrast : mapping of str to pandas.DataFrame
        Contrast name -> its :func:`~tmeseq.scores.compare_scores` table (columns ``score``,
        ``difference``, ``padj``; ``scale`` if present). Blocks follow the mapping's order.
    alpha : float
        Significance level applied to ``padj``, in (0, 1).
    parameters : sequence of TmeParameter
        The rows; the comparison's parameters by default.

    Returns
    -------
    pandas.DataFrame
        Columns ``parameter``, ``score``, then per contrast ``<contrast>_direction``,
        ``<contrast>_difference``, ``<contrast>_padj``, then ``scale``. A parameter whose
        score is absent from a contrast's table keeps its row, with NA values and
        ``not tested``.

    Raises
    ------
    ValueError
        If ``alpha`` is outside (0, 1), there is no contrast, or a table lacks a column.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if not per_contrast:
        raise ValueError("tme_comparison needs at least one contrast table")
    table = pd.DataFrame(
        {"parameter": [p.label for p in parameters], "score": [p.score for p in parameters]}
    )
    scales: list[pd.Series] = []
    for name, results in per_contrast.items():
        block, scale = _contrast_block(name, results, table["score"], alpha)
        table = pd.concat([table, block], axis=1)
        scales.append(scale)
    scale = scales[0]
    for other in scales[1:]:
        scale = scale.combine_first(other)
    table["scale"] = scale.astype("string")
    return table


def _contrast_block(
    name: str, results: pd.DataFrame, scores: pd.Series, alpha: float
) -> tuple[pd.DataFrame, pd.Series]:
    """The three columns of one contrast, and the scores' scale as that table gives it."""
    missing = {"score", "difference", "padj"} - set(results.columns)
    if missing:
        raise ValueError(f"the table of contrast {name!r} lacks column(s) {sorted(missing)}")
    indexed = results.drop_duplicates("score").set_index("score")
    rows = indexed.reindex(scores.to_numpy())
    difference = pd.to_numeric(rows["difference"]).to_numpy(dtype=np.float64, na_value=np.nan)
    padj = pd.to_numeric(rows["padj"]).to_numpy(dtype=np.float64, na_value=np.nan)
    calls = [direction(d, q, alpha) for d, q in zip(difference, padj, strict=True)]
    block = pd.DataFrame(
        {f"{name}{DIRECTION}": calls, f"{name}{DIFFERENCE}": difference, f"{name}{PADJ}": padj},
        index=scores.index,
    )
    scale = rows["scale"] if "scale" in rows.columns else pd.Series(pd.NA, index=rows.index)
    return block, pd.Series(scale.to_numpy(dtype=object), index=scores.index)


def contrast_names(table: pd.DataFrame) -> list[str]:
    """Contrast names of a :func:`tme_comparison` table, in column order."""
    return [str(c)[: -len(DIRECTION)] for c in table.columns if str(c).endswith(DIRECTION)]
