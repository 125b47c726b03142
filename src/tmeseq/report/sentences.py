"""One sentence per contrast, generated from the numbers of the TME comparison table.

A parameter is called ``up`` or ``down`` only when its ``padj`` is below ``alpha`` (by the
sign of its difference), ``not significant`` otherwise, and ``not tested`` without a
p-value; nothing here knows what a treatment is expected to do. For example::

    NKTR214 vs vehicle (padj < 0.05): CD8+ T-cell, NK and effector up; Treg not significant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from tmeseq.settings import Contrast

UP = "up"
DOWN = "down"
NOT_SIGNIFICANT = "not significant"
NOT_TESTED = "not tested"

#: Short names of the TME parameters' scores, for sentences (others use the parameter label).
SHORT_NAMES: Mapping[str, str] = {
    "cd8_t_cells": "CD8+ T-cell",
    "cd8_treg_ratio": "CD8+/Treg ratio",
    "nk_cells": "NK",
    "tregs": "Treg",
    "m1_m2_ratio": "M1/M2 ratio",
    "effector": "effector",
    "ifng": "IFNG",
    "gzmb": "GZMB",
    "prf1": "PRF1",
    "cd274": "PD-L1",
}


def call(difference: float, padj: float, alpha: float) -> str:
    """:data:`UP`, :data:`DOWN`, :data:`NOT_SIGNIFICANT` or :data:`NOT_TESTED`."""
    if math.isnan(padj) or math.isnan(difference):
        return NOT_TESTED
    if padj >= alpha:
        return NOT_SIGNIFICANT
    return UP if difference > 0 else DOWN


def contrast_label(contrast: Contrast) -> str:
    """``"<test> vs <reference>"`` for a level contrast, else the contrast's name."""
    if contrast.is_levels:
        return f"{contrast.test} vs {contrast.reference}"
    return contrast.name


def join_names(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class Calls:
    """The parameters of one contrast grouped by their call (short names, table order)."""

    up: list[str]
    down: list[str]
    not_significant: list[str]
    not_tested: list[str]


def contrast_calls(tme: pd.DataFrame, contrast: str, alpha: float) -> Calls:
    """Group the TME table's parameters by their call in ``contrast``.

    Parameters
    ----------
    tme : pandas.DataFrame
        ``scores/tme_comparison.tsv`` (``parameter``, ``score``, ``<contrast>_difference``,
        ``<contrast>_padj``).
    contrast : str
        The contrast's name.
    alpha : float
        Significance level.
    """
    groups: dict[str, list[str]] = {UP: [], DOWN: [], NOT_SIGNIFICANT: [], NOT_TESTED: []}
    difference = pd.to_numeric(tme[f"{contrast}_difference"]).astype(float)
    padj = pd.to_numeric(tme[f"{contrast}_padj"]).astype(float)
    for score, label, d, q in zip(tme["score"], tme["parameter"], difference, padj, strict=True):
        name = SHORT_NAMES.get(str(score), str(label))
        groups[call(float(d), float(q), alpha)].append(name)
    return Calls(groups[UP], groups[DOWN], groups[NOT_SIGNIFICANT], groups[NOT_TESTED])


def contrast_sentence(tme: pd.DataFrame, contrast: Contrast, alpha: float) -> str:
    """The sentence summarising one contrast's TME parameters.

    Parameters
    ----------
    tme : pandas.DataFrame
        ``scores/tme_comparison.tsv``.
    contrast : Contrast
        The contrast.
    alpha : float
        Significance level applied to ``padj``.

    Returns
    -------
    str
        E.g. ``"NKTR214 vs vehicle (padj < 0.05): CD8+ T-cell and NK up; Treg not
        significant."``, or ``"... (padj < 0.05): no TME parameter differs."``. A sentence
        never claims a result for a parameter that was not tested: ``"no tested TME
        parameter differs; ... not tested"`` when some were not, ``"no TME parameter was
        tested (no score has a p-value)"`` when none was.
    """
    calls = contrast_calls(tme, contrast.name, alpha)
    label = f"{contrast_label(contrast)} (padj < {alpha:g})"
    if not (calls.up or calls.down or calls.not_significant):
        return f"{label}: no TME parameter was tested (no score has a p-value)."
    parts = []
    if calls.up:
        parts.append(f"{join_names(calls.up)} {UP}")
    if calls.down:
        parts.append(f"{join_names(calls.down)} {DOWN}")
    if not parts:
        parts.append(f"no {'tested ' if calls.not_tested else ''}TME parameter differs")
    if calls.not_significant and (calls.up or calls.down):
        parts.append(f"{join_names(calls.not_significant)} {NOT_SIGNIFICANT}")
    if calls.not_tested:
        parts.append(f"{join_names(calls.not_tested)} {NOT_TESTED}")
    return f"{label}: {'; '.join(parts)}."
