"""Signature scores: per-sample scores, their arm comparison and the TME comparison table.

- :func:`score_samples` scores effector genes, published signatures, cell-type proxies and
  the derived CD8/Treg and M1/M2 ratios in every sample from a VST matrix
  (:mod:`tmeseq.scores.compute` documents the scales).
- :func:`compare_scores` tests one contrast of the DE design on every score (OLS + Wald t,
  Benjamini-Hochberg), giving the ``scores/<contrast>.tsv`` table.
- :func:`compare_contrasts` does that for every contrast of a fit; :func:`plot_groups` and
  :func:`paired_by` give the plots their groups, brackets and pairs
  (:mod:`tmeseq.scores.arms`).
- :func:`tme_comparison` assembles ``scores/tme_comparison.tsv`` from those tables.
"""

from tmeseq.scores.arms import (
    OTHER_SAMPLES,
    arm_groups,
    coefficient_groups,
    coefficient_sides,
    compare_contrasts,
    contrast_groups,
    contrast_pairs,
    paired_by,
    plot_groups,
)
from tmeseq.scores.compare import CONTRACT_COLUMNS, compare_scores, fit_contrast
from tmeseq.scores.compute import (
    RATIOS,
    ScoreMethod,
    ScoreResult,
    clean_symbol,
    score_samples,
    symbol_matrix,
    zscores,
)
from tmeseq.scores.tme import (
    DIRECTIONS,
    SCALE_NAMES,
    TME_PARAMETERS,
    TmeParameter,
    direction,
    scale_name,
    tme_comparison,
)

__all__ = [
    "CONTRACT_COLUMNS",
    "DIRECTIONS",
    "OTHER_SAMPLES",
    "RATIOS",
    "SCALE_NAMES",
    "TME_PARAMETERS",
    "ScoreMethod",
    "ScoreResult",
    "TmeParameter",
    "arm_groups",
    "clean_symbol",
    "coefficient_groups",
    "coefficient_sides",
    "compare_contrasts",
    "compare_scores",
    "contrast_groups",
    "contrast_pairs",
    "direction",
    "fit_contrast",
    "paired_by",
    "plot_groups",
    "scale_name",
    "score_samples",
    "symbol_matrix",
    "tme_comparison",
    "zscores",
]
