"""Which genes of a gene set the expression matrix holds, and what to say when too few do.

Genes are matched to the matrix's columns by exact, case-sensitive symbol: ``Cd8a`` (mouse)
and ``CD8A`` (human) are different genes, and the species setting chooses which list of each
signature is used (:func:`tmeseq.genesets.read_signatures`). When nothing matches, the warning
says why it probably failed: gene IDs instead of symbols, or the other species' symbols.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from tmeseq.genesets import GeneSet

logger = logging.getLogger(__name__)

#: A set is flagged ``low_coverage`` when fewer than this share of its genes are found.
MIN_FOUND_FRACTION = 0.5
#: Separator of the gene lists in the coverage table's ``genes_found`` / ``genes_missing``.
GENE_SEPARATOR = ";"

_ENSEMBL = re.compile(r"^ENS[A-Z]*G\d{6,}")
_ENTREZ = re.compile(r"^\d+$")
_SHOWN = 6


@dataclass(frozen=True)
class Match:
    """The genes of one set found in, and missing from, the expression matrix.

    Attributes
    ----------
    name : str
        Score (set) name.
    found : tuple of str
        Genes present as columns, in the set's order.
    missing : tuple of str
        Genes absent, in the set's order.
    """

    name: str
    found: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def n_genes(self) -> int:
        """Number of genes in the set."""
        return len(self.found) + len(self.missing)

    @property
    def low_coverage(self) -> bool:
        """True when fewer than half of the set's genes were found (including none)."""
        return len(self.found) < MIN_FOUND_FRACTION * self.n_genes


def match_set(gene_set: GeneSet, columns: pd.Index) -> Match:
    """Split a set's genes into those found among ``columns`` and those missing.

    Parameters
    ----------
    gene_set : GeneSet
        The set.
    columns : pandas.Index
        Gene symbols of the expression matrix (compared exactly, case-sensitive).

    Returns
    -------
    Match
    """
    present = set(columns)
    found = tuple(g for g in gene_set.genes if g in present)
    missing = tuple(g for g in gene_set.genes if g not in present)
    return Match(gene_set.name, found, missing)


def coverage_row(match: Match, scale: str) -> dict[str, object]:
    """One row of the coverage table for ``match``."""
    return {
        "score": match.name,
        "n_genes": match.n_genes,
        "n_found": len(match.found),
        "low_coverage": match.low_coverage,
        "genes_found": GENE_SEPARATOR.join(match.found),
        "genes_missing": GENE_SEPARATOR.join(match.missing),
        "scale": scale,
    }


def warn_coverage(match: Match, columns: pd.Index) -> None:
    """Log a WARNING when a set has no genes (score NA) or fewer than half (low coverage)."""
    if not match.found:
        logger.warning(
            "Score %r: none of its %d gene(s) (%s) is in the expression data, so the score is "
            "NA. Hint: %s",
            match.name,
            match.n_genes,
            _shorten(match.missing),
            id_hint(match.missing, columns),
        )
    elif match.low_coverage:
        logger.warning(
            "Score %r: only %d of %d genes found (low coverage, flagged in the tables); "
            "missing: %s",
            match.name,
            len(match.found),
            match.n_genes,
            _shorten(match.missing),
        )


def id_hint(genes: Sequence[str], columns: pd.Index) -> str:
    """Explain why a set's symbols may not match the matrix's gene identifiers.

    Parameters
    ----------
    genes : sequence of str
        The set's genes that were not found.
    columns : pandas.Index
        The expression matrix's gene identifiers.

    Returns
    -------
    str
        One sentence naming the likely cause and the fix.
    """
    ids = pd.Index(columns).astype(str)
    if _share(ids, _ENSEMBL) > 0.5:
        return (
            "the data's genes look like Ensembl IDs (e.g. "
            f"{ids[0]!r}); supply an annotation (gene ID -> symbol) so that genes are "
            "identified by symbol"
        )
    if _share(ids, _ENTREZ) > 0.5:
        return (
            f"the data's genes look like Entrez (NCBI) IDs (e.g. {ids[0]!r}); supply an "
            "annotation (gene ID -> symbol) so that genes are identified by symbol"
        )
    by_case = {g.casefold() for g in ids}
    near = [g for g in genes if g.casefold() in by_case]
    if near:
        return (
            f"{len(near)} gene(s) match only when letter case is ignored (e.g. {near[0]!r}): "
            "symbols are matched case-sensitively, so these look like human gene sets on mouse "
            "data or the reverse; set `species` to the species of the data"
        )
    return (
        "check that the data's genes are symbols of the configured species and that the "
        "gene set is meant for that species"
    )


def _share(ids: pd.Index, pattern: re.Pattern[str]) -> float:
    """Share of ``ids`` matching ``pattern`` (0 for no IDs)."""
    if len(ids) == 0:
        return 0.0
    return float(ids.str.match(pattern).mean())


def _shorten(genes: Sequence[str]) -> str:
    """A comma-separated list, cut after a few names."""
    shown = ", ".join(genes[:_SHOWN])
    return shown + (f", ... ({len(genes)} in all)" if len(genes) > _SHOWN else "")
