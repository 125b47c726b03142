"""Which genes of a gene set the expression matrix holds, and what to say when too few do.

Genes are matched to the matrix's columns by exact, case-sensitive symbol: ``Cd8a`` (mouse)
and ``CD8A`` (human) are different genes, and the species setting chooses which list of each
signature is used (:func:`tmeseq.genesets.read_signatures`). When nothing matches, the warning
says why it probably failed: gene IDs instead of symbols, or the other species' symbols.

A gene counts as *found* only if it is expressed: a column of the matrix scored, which in a
workflow run holds the genes kept by the DE pre-filter. A gene in the counts but filtered out
is *unexpressed*; a gene not in the counts at all is *missing*. The three lists partition the
set's genes, in the set's order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import pandas as pd

from tmeseq.genesets import GeneSet
from tmeseq.idmap import detect_id_type

logger = logging.getLogger(__name__)

#: A set is flagged ``low_coverage`` when fewer than this share of its genes are found.
MIN_FOUND_FRACTION = 0.5
#: Separator of the coverage table's gene lists (``genes_found``, ``genes_missing``,
#: ``genes_unexpressed``).
GENE_SEPARATOR = ";"

_SHOWN = 6


@dataclass(frozen=True)
class Match:
    """The genes of one set found in (expressed), and missing from, the expression matrix.

    Attributes
    ----------
    name : str
        Score (set) name.
    found : tuple of str
        Genes present as columns (expressed), in the set's order.
    missing : tuple of str
        Genes absent from the counts, in the set's order.
    unexpressed : tuple of str
        Genes in the counts but not among the columns (filtered out as not expressed), in the
        set's order.
    """

    name: str
    found: tuple[str, ...]
    missing: tuple[str, ...]
    unexpressed: tuple[str, ...] = ()

    @property
    def n_genes(self) -> int:
        """Number of genes in the set."""
        return len(self.found) + len(self.missing) + len(self.unexpressed)

    @property
    def low_coverage(self) -> bool:
        """True when fewer than half of the set's genes were found (including none)."""
        return len(self.found) < MIN_FOUND_FRACTION * self.n_genes


def match_set(
    gene_set: GeneSet, columns: pd.Index, present: AbstractSet[str] | None = None
) -> Match:
    """Split a set's genes into those found among ``columns``, those in the counts but not
    expressed, and those missing.

    Parameters
    ----------
    gene_set : GeneSet
        The set.
    columns : pandas.Index
        Gene symbols of the expression matrix scored (compared exactly, case-sensitive): the
        expressed genes.
    present : set of str, optional
        Symbols of every gene in the counts, expressed or not; a set gene in ``present`` but
        not in ``columns`` is unexpressed. Default: ``columns`` (nothing is unexpressed).

    Returns
    -------
    Match
    """
    expressed = set(columns)
    counted = expressed if present is None else expressed | set(present)
    found = tuple(g for g in gene_set.genes if g in expressed)
    unexpressed = tuple(g for g in gene_set.genes if g in counted and g not in expressed)
    missing = tuple(g for g in gene_set.genes if g not in counted)
    return Match(gene_set.name, found, missing, unexpressed)


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
        "n_unexpressed": len(match.unexpressed),
        "genes_unexpressed": GENE_SEPARATOR.join(match.unexpressed),
    }


def warn_coverage(match: Match, columns: pd.Index) -> None:
    """Log a WARNING when a set has no expressed gene (score NA) or fewer than half (low
    coverage), naming the genes missing from the counts and those filtered out."""
    if not match.found:
        hint = f" Hint: {id_hint(match.missing, columns)}" if match.missing else ""
        logger.warning(
            "Score %r: none of its %d gene(s) is expressed (%s), so the score is NA (not "
            "tested).%s",
            match.name,
            match.n_genes,
            _absent(match),
            hint,
        )
    elif match.low_coverage:
        logger.warning(
            "Score %r: only %d of %d genes found expressed (low coverage, flagged in the "
            "tables); %s",
            match.name,
            len(match.found),
            match.n_genes,
            _absent(match),
        )


def _absent(match: Match) -> str:
    """``"missing from the counts: ...; in the counts but not expressed: ..."``."""
    parts = []
    if match.missing:
        parts.append(f"missing from the counts: {_shorten(match.missing)}")
    if match.unexpressed:
        parts.append(
            f"in the counts but filtered out as not expressed: {_shorten(match.unexpressed)}"
        )
    return "; ".join(parts)


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
    found = detect_id_type(ids)
    if found.kind not in ("symbol_human", "symbol_mouse", "other"):
        return (
            f"the data's genes look like {found.label} (e.g. {ids[0]!r}); supply an annotation "
            "(gene ID -> symbol) so that genes are identified by symbol"
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


def _shorten(genes: Sequence[str]) -> str:
    """A comma-separated list, cut after a few names."""
    shown = ", ".join(genes[:_SHOWN])
    return shown + (f", ... ({len(genes)} in all)" if len(genes) > _SHOWN else "")
