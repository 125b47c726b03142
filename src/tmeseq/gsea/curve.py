"""The running enrichment score of one gene set along a ranking, for enrichment plots.

Recomputed from the ranking and the set's genes (GSEA's weighted Kolmogorov-Smirnov walk,
weight 1, the gseapy default), so a plot needs only the ranking and the set, not the
gseapy result object. Its extreme equals the ``es`` gseapy reports for the same inputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from tmeseq.gsea.rankings import Ranking

__all__ = ["EnrichmentCurve", "running_enrichment"]


@dataclass(frozen=True, eq=False)
class EnrichmentCurve:
    """Running enrichment score of a set along a ranking.

    Attributes
    ----------
    running_es : numpy.ndarray
        The running score after each position of the ranking (length = ranking size).
    hits : numpy.ndarray
        Positions (0-based, rank order) of the set's genes.
    es : float
        The enrichment score: the running score's largest deviation from 0.
    peak : int
        Position where ``es`` is reached.
    """

    running_es: np.ndarray
    hits: np.ndarray
    es: float
    peak: int


def running_enrichment(
    ranking: Ranking, genes: Iterable[str], *, weight: float = 1.0
) -> EnrichmentCurve:
    """Compute the running enrichment score of ``genes`` along ``ranking``.

    Parameters
    ----------
    ranking : Ranking
        The ranked genes.
    genes : iterable of str
        The set's genes; those absent from the ranking are ignored.
    weight : float
        Exponent of ``|metric|`` weighting the steps at hits (1 = GSEA's default, 0 = the
        unweighted Kolmogorov-Smirnov statistic).

    Returns
    -------
    EnrichmentCurve

    Raises
    ------
    ValueError
        If no gene of the set, or every gene of the ranking, is in the set.
    """
    in_set = ranking.genes.isin(list(genes))
    n_hits = int(in_set.sum())
    if n_hits == 0 or n_hits == len(in_set):
        raise ValueError(f"the set has {n_hits} of the ranking's {len(in_set)} genes")
    magnitude = np.abs(ranking.values.to_numpy(dtype=np.float64)) ** weight
    hit_weight = np.where(in_set, magnitude, 0.0)
    total = hit_weight.sum()
    hit_step = hit_weight / total if total > 0 else in_set / n_hits
    miss_step = (~in_set) / (len(in_set) - n_hits)
    running = np.cumsum(hit_step - miss_step)
    top, bottom = int(running.argmax()), int(running.argmin())
    peak = top if abs(running[top]) > abs(running[bottom]) else bottom
    return EnrichmentCurve(
        running_es=running, hits=np.flatnonzero(in_set), es=float(running[peak]), peak=peak
    )
