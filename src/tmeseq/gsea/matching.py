"""Gene-set collections for GSEA: loading, matching to a ranking, coverage and its diagnosis.

Every collection is tested on its own (:mod:`tmeseq.gsea.prerank`), so a set's FDR does not
depend on what else was tested. Genes are matched to the ranking **exactly** (case-sensitive):
human (upper-case) sets are not silently upper-cased onto mouse symbols, which is not an
orthology mapping. When less than :data:`MIN_COVERAGE` of a collection's genes are in the
ranking, a WARNING names the likely cause (:func:`diagnose_mismatch`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from tmeseq.genesets import (
    Collection,
    Species,
    read_gmt,
    read_hallmarks,
    read_signatures,
    signatures_path,
)
from tmeseq.gsea.rankings import Ranking
from tmeseq.idmap import detect_id_type
from tmeseq.resources import RESOURCES_DIR, bundled_path

__all__ = [
    "COLLECTION_COLUMNS",
    "MIN_COVERAGE",
    "NOT_TESTED",
    "CollectionMatch",
    "collection_status",
    "collections_table",
    "diagnose_mismatch",
    "display_source",
    "load_collections",
    "match_collection",
    "testable",
    "untested_reasons",
]

logger = logging.getLogger(__name__)

MIN_COVERAGE = 0.5
"""Below this share of a collection's genes found in the ranking, a WARNING is logged."""

COLLECTION_COLUMNS = (
    "collection",
    "version",
    "sha256",
    "source",
    "n_sets",
    "n_sets_tested",
    "n_genes",
    "n_genes_found",
    "coverage",
    "low_coverage",
    "note",
)
"""Columns of the per-collection table (:func:`tmeseq.gsea.run_gsea`)."""

NOT_TESTED = "not tested"
"""How the ``note`` of a collection none of whose sets was tested begins."""

#: The symbol style of each kind of :func:`tmeseq.idmap.detect_id_type`.
_STYLES = {"symbol_human": "upper", "symbol_mouse": "mouse"}


def load_collections(
    species: Species,
    *,
    hallmarks: bool = True,
    signatures: bool | str | Path = True,
    gmts: Sequence[str | Path] = (),
) -> list[Collection]:
    """Read the collections a GSEA run tests, in a fixed order.

    Parameters
    ----------
    species : {"human", "mouse"}
        Picks the bundled Hallmark file and the signature gene lists.
    hallmarks : bool
        Include the bundled MSigDB Hallmarks of ``species``.
    signatures : bool, str or Path
        ``True``: the bundled TME signatures; ``False``: none; a path: that signature YAML.
    gmts : sequence of str or Path
        User GMT files, each one collection named after its file.

    Returns
    -------
    list of Collection
        Hallmarks, then signatures, then the GMTs in the given order.

    Raises
    ------
    InputError
        If a file cannot be read or is malformed (from :mod:`tmeseq.genesets`).
    """
    collections: list[Collection] = []
    if hallmarks:
        collections.append(read_hallmarks(species))
    if signatures is not False:
        path = signatures_path() if signatures is True else Path(signatures)
        collections.append(read_signatures(path, species))
    collections.extend(read_gmt(path) for path in gmts)
    return collections


def display_source(source: str) -> str:
    """The collection's source as recorded in tables: repository-relative for bundled files.

    A bundled file (under ``workflow/resources``) is shown as
    ``workflow/resources/<relative path>`` so tables do not depend on where the repository
    is checked out; any other path is kept as given.
    """
    try:
        root = bundled_path("genesets").parent.resolve()
        relative = Path(source).resolve().relative_to(root)
    except (FileNotFoundError, ValueError):
        return source
    return str(Path(RESOURCES_DIR) / relative)


@dataclass(frozen=True)
class CollectionMatch:
    """A collection matched against a ranking.

    Attributes
    ----------
    collection : Collection
        The collection.
    sets : dict of str to list of str
        The sets that pass the size filter, each reduced to its genes present in the
        ranking (in set order), in collection order.
    sizes : dict of str to int
        Genes of every set present in the ranking (tested or not).
    n_genes : int
        Distinct genes of the collection.
    n_genes_found : int
        Of those, how many are in the ranking.
    note : str
        Why coverage is low or nothing could be tested; empty when all is well.
    """

    collection: Collection
    sets: dict[str, list[str]]
    sizes: dict[str, int]
    n_genes: int
    n_genes_found: int
    note: str

    @property
    def coverage(self) -> float:
        """Share of the collection's genes present in the ranking (0 for an empty one)."""
        return self.n_genes_found / self.n_genes if self.n_genes else 0.0

    @property
    def low_coverage(self) -> bool:
        """True when :attr:`coverage` is below :data:`MIN_COVERAGE`."""
        return self.coverage < MIN_COVERAGE

    def info(self) -> dict[str, object]:
        """One row of the collections table (:data:`COLLECTION_COLUMNS`)."""
        return {
            "collection": self.collection.name,
            "version": self.collection.version,
            "sha256": self.collection.sha256,
            "source": display_source(self.collection.source),
            "n_sets": len(self.collection.sets),
            "n_sets_tested": len(self.sets),
            "n_genes": self.n_genes,
            "n_genes_found": self.n_genes_found,
            "coverage": round(self.coverage, 4),
            "low_coverage": self.low_coverage,
            "note": self.note,
        }


def testable(size: int, min_size: int, max_size: int, n_ranked: int) -> bool:
    """Whether a set with ``size`` genes in a ranking of ``n_ranked`` genes can be tested:
    ``min_size <= size <= max_size`` and some ranked gene lies outside it."""
    return min_size <= size <= max_size and size < n_ranked


def match_collection(
    ranking: Ranking,
    collection: Collection,
    *,
    min_size: int,
    max_size: int,
    in_counts: AbstractSet[str] | None = None,
) -> CollectionMatch:
    """Reduce every set to its genes in the ranking and keep those of a testable size.

    A set is tested when ``min_size <= size <= max_size`` and it does not hold every gene of
    the ranking (then no gene lies outside it; :func:`testable`). Low coverage and an empty
    result are logged as WARNINGs with their likely cause; sets dropped for size are logged at
    INFO.

    Parameters
    ----------
    ranking : Ranking
        The ranked genes.
    collection : Collection
        The gene sets.
    min_size, max_size : int
        Bounds on the number of a set's genes present in the ranking.
    in_counts : set of str, optional
        Keys of every gene of the DE table, ranked or not (the counts' genes): lets the note
        of an untested collection say whether its genes are absent from the counts or present
        but without a value (not expressed, not tested by DE).

    Returns
    -------
    CollectionMatch
        Its ``note`` begins with :data:`NOT_TESTED` when no set can be tested.
    """
    present = set(ranking.genes)
    sizes: dict[str, int] = {}
    sets: dict[str, list[str]] = {}
    for gene_set in collection.sets:
        genes = [g for g in gene_set.genes if g in present]
        sizes[gene_set.name] = len(genes)
        if testable(len(genes), min_size, max_size, len(present)):
            sets[gene_set.name] = genes
    universe = {g for s in collection.sets for g in s.genes}
    found = len(universe & present)
    match = CollectionMatch(collection, sets, sizes, len(universe), found, note="")
    note = _note(match, ranking, (min_size, max_size), in_counts)
    match = replace(match, note=note)
    _log_match(match, min_size, max_size)
    return match


def _note(
    match: CollectionMatch,
    ranking: Ranking,
    bounds: tuple[int, int],
    in_counts: AbstractSet[str] | None,
) -> str:
    """Why no set can be tested and/or the low-coverage diagnosis ('' when neither applies)."""
    parts: list[str] = []
    if not match.sets:
        parts.append(_untested(match, bounds, in_counts))
    if match.low_coverage:
        universe = sorted({g for s in match.collection.sets for g in s.genes})
        parts.append(
            f"only {match.n_genes_found} of {match.n_genes} genes "
            f"({100 * match.coverage:.1f}%) are in the ranking: "
            + diagnose_mismatch(list(ranking.genes), universe)
        )
    return "; ".join(parts)


def _untested(
    match: CollectionMatch, bounds: tuple[int, int], in_counts: AbstractSet[str] | None
) -> str:
    """``"not tested: <why>"`` for a collection none of whose sets has a testable size."""
    name = match.collection.name
    universe = {g for s in match.collection.sets for g in s.genes}
    if match.n_genes_found == 0 and in_counts is not None:
        present = len(universe & set(in_counts))
        if present == 0:
            return f"{NOT_TESTED}: no gene of {name} in the counts"
        return (
            f"{NOT_TESTED}: {present} gene(s) of {name} are in the counts but none is "
            "expressed (none passed the DE pre-filter or has a value to rank), so nothing was "
            "tested"
        )
    if match.n_genes_found == 0:
        return f"{NOT_TESTED}: no gene of {name} in the ranking, so nothing was tested"
    return (
        f"{NOT_TESTED}: no set has between {bounds[0]} and {bounds[1]} of its genes in the "
        f"ranking (largest: {max(match.sizes.values(), default=0)}), so nothing was tested"
    )


def _log_match(match: CollectionMatch, min_size: int, max_size: int) -> None:
    """Log coverage (WARNING when low or nothing testable) and sets dropped for size."""
    name = match.collection.name
    dropped = sorted(n for n in match.sizes if n not in match.sets)
    logger.info(
        "GSEA collection %r (version %s): %d of %d genes in the ranking (%.1f%%); %d of %d "
        "sets tested, %d outside size %d-%d%s",
        name,
        match.collection.version or "unknown",
        match.n_genes_found,
        match.n_genes,
        100 * match.coverage,
        len(match.sets),
        len(match.sizes),
        len(dropped),
        min_size,
        max_size,
        f" ({', '.join(f'{n}: {match.sizes[n]}' for n in dropped)})" if dropped else "",
    )
    if match.note:
        logger.warning("GSEA collection %r: %s", name, match.note)


def diagnose_mismatch(ranking_genes: Sequence[str], collection_genes: Sequence[str]) -> str:
    """Name the likely reason why a collection's genes are missing from a ranking.

    Checks, in order: Ensembl gene IDs or Entrez IDs in the ranking (no symbols), human-style
    (upper-case) sets against mouse-style symbols (``Cd8a``) or the reverse, then falls back
    to a generic hint.

    Parameters
    ----------
    ranking_genes : sequence of str
        Keys of the ranking.
    collection_genes : sequence of str
        Distinct genes of the collection.

    Returns
    -------
    str
        A sentence with the cause and the fix.
    """
    ranking = detect_id_type(ranking_genes)
    if ranking.kind not in ("symbol_human", "symbol_mouse", "other"):
        return (
            f"the ranking is keyed by {ranking.label}, not gene symbols (the DE table has no "
            "symbols for most genes); give an annotation (config key 'annotation': a gene "
            "ID -> symbol table or a GTF) so genes get symbols"
        )
    ranking_style = _STYLES.get(ranking.kind)
    sets_style = _STYLES.get(detect_id_type(collection_genes).kind)
    if sets_style == "upper" and ranking_style == "mouse":
        return (
            "the sets use human-style upper-case symbols (e.g. CD8A) but the ranking has "
            "mouse-style symbols (e.g. Cd8a): human sets on mouse data? Use the mouse "
            "collection (species: mouse) or a mouse GMT; upper-casing is not orthology"
        )
    if sets_style == "mouse" and ranking_style == "upper":
        return (
            "the sets use mouse-style symbols (e.g. Cd8a) but the ranking has upper-case "
            "human-style symbols (e.g. CD8A): mouse sets on human data? Use the human "
            "collection (species: human) or a human GMT"
        )
    return (
        "check that the gene sets and the DE table use the same kind of identifier and a "
        "similar annotation release (renamed genes do not match)"
    )


def collections_table(matches: Sequence[CollectionMatch]) -> pd.DataFrame:
    """The per-collection table (:data:`COLLECTION_COLUMNS`), one row per match, in order."""
    return pd.DataFrame([m.info() for m in matches], columns=list(COLLECTION_COLUMNS))


def collection_status(collection: str, n_sets_tested: int, note: str) -> str:
    """One line saying what happened to a collection: ``"<collection>: N sets tested"``, or
    why it was not tested (the first clause of its ``note``, e.g. ``"not tested: no gene of
    hallmark in the counts"``)."""
    if n_sets_tested > 0:
        return f"{collection}: {n_sets_tested} set{'s' if n_sets_tested != 1 else ''} tested"
    first = str(note).split("; ")[0] if isinstance(note, str) else ""
    if first.startswith(NOT_TESTED):
        return first
    return f"{NOT_TESTED}: {collection} (no set within the size limits)"


def untested_reasons(collections: pd.DataFrame) -> list[str]:
    """Why each collection of a collections table none of whose sets was tested was not, in
    table order, once per collection (the tables of several contrasts may be stacked)."""
    reasons: dict[str, str] = {}
    for row in collections.itertuples(index=False):
        if int(row.n_sets_tested) == 0:
            note = row.note if isinstance(row.note, str) else ""
            reasons.setdefault(str(row.collection), collection_status(row.collection, 0, note))
    return list(reasons.values())
