"""Whether each stage has something to work on, decided right after the import.

The scores and GSEA match gene sets to the cohort's gene symbols. When nothing matches (gene
IDs without an annotation, the other species' symbols, a user file keyed by another kind of
identifier) those stages used to "succeed" with NA scores and empty GSEA tables, and a figure
could say that no gene set was significant although nothing had been tested. Rule
``check_gene_sets`` runs :func:`check_stage_inputs` between the import and the DE fit, so such
a run stops in seconds, with one message naming the stage, the collection, how many genes
matched, the ID type found in the counts (with examples) and the fix.

What counts as found: a gene counts only if it is expressed, i.e. in the counts and kept by
the DE pre-filter (the genes the fit tests, whose VST the scores use and whose statistic GSEA
ranks). What counts as nothing to work on:

- scores: no gene of the signature collection (the bundled signatures with the user's sets)
  is expressed, so every score would be NA; or no gene of one file of ``scores.gene_sets`` is
  (the user's sets would be NA while the others are scored);
- GSEA: no set of a collection has between its smallest size (``gsea.min_size``, or
  ``gsea.signature_min_size`` for the signatures) and ``gsea.max_size`` expressed genes, so
  none of its sets could be tested.

``scores.allow_empty`` / ``gsea.allow_empty`` turn the stop into a WARNING: the run goes on and
the untested collections are reported as "not tested" (tables, figures, report).

The scores and GSEA steps apply the same check to what they actually read (the fitted model's
tested genes, the ranking), so a gene-set file or option edited after the check ran (which
reruns those steps, not the check and the DE fit) is held to the same rule.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import pandas as pd

from tmeseq.errors import InputError
from tmeseq.genesets import Collection, gsea_collections, read_gene_sets, signature_collection
from tmeseq.gsea.matching import NOT_TESTED, display_source, testable
from tmeseq.idmap import IdGuess, detect_id_type
from tmeseq.settings import Settings, Species

logger = logging.getLogger(__name__)

SCORES = "scores"
GSEA = "gsea"
#: Columns of ``qc/gene_set_coverage.tsv``.
COVERAGE_COLUMNS = (
    "stage",
    "collection",
    "source",
    "n_sets",
    "n_sets_testable",
    "min_size",
    "max_size",
    "n_genes",
    "n_in_counts",
    "n_expressed",
    "status",
    "note",
)
OK = "ok"
EMPTY = "empty"
#: Example gene IDs and symbols a message shows.
N_EXAMPLES = 3
#: Share of symbols equal to their gene ID above which genes "have no symbols".
_UNNAMED_SHARE = 0.5
#: ID kinds (:func:`tmeseq.idmap.detect_id_type`) that are gene symbols already.
_SYMBOL_KINDS = ("symbol_human", "symbol_mouse")


@dataclass(frozen=True)
class GeneSetPlan:
    """What rule ``check_gene_sets`` checks: the gene-set files the scores and GSEA will read,
    the set-size bounds and the ``allow_empty`` switches.

    The rule receives this object itself, not a dict: Snakemake's params trigger ignores
    objects that are not builtin values, so editing a gene-set file or a GSEA option later
    does not rerun the check and, through it, the DE fit. The scores and GSEA steps apply the
    same rule to what they read (:func:`check_stage_inputs`), so such an edit is still caught.

    Attributes
    ----------
    species : {"human", "mouse"}
        Picks the signatures' gene lists; named in the fix.
    signatures : str
        The signature YAML.
    score_sets : tuple of str
        ``scores.gene_sets``.
    replace_bundled : bool
        ``scores.replace_bundled``.
    hallmarks : str or None
        The species' Hallmark GMT when ``gsea.hallmarks`` is on.
    gsea_signatures : bool
        ``gsea.signatures``: GSEA also tests the signature collection.
    gsea_sets : tuple of str
        ``gsea.gene_sets``.
    min_size, max_size, signature_min_size : int
        GSEA's set-size bounds.
    scores_allow_empty, gsea_allow_empty : bool
        ``scores.allow_empty``, ``gsea.allow_empty``.
    """

    species: Species
    signatures: str
    score_sets: tuple[str, ...]
    replace_bundled: bool
    hallmarks: str | None
    gsea_signatures: bool
    gsea_sets: tuple[str, ...]
    min_size: int
    max_size: int
    signature_min_size: int
    scores_allow_empty: bool
    gsea_allow_empty: bool

    @classmethod
    def from_settings(cls, settings: Settings, *, signatures: str, hallmarks: str) -> GeneSetPlan:
        """The plan of a run: its settings and the bundled files the workflow resolved."""
        return cls(
            species=settings.species,
            signatures=str(signatures),
            score_sets=settings.scores.gene_sets,
            replace_bundled=settings.scores.replace_bundled,
            hallmarks=str(hallmarks) if settings.gsea.hallmarks else None,
            gsea_signatures=settings.gsea.signatures,
            gsea_sets=settings.gsea.gene_sets,
            min_size=settings.gsea.min_size,
            max_size=settings.gsea.max_size,
            signature_min_size=settings.gsea.signature_min_size,
            scores_allow_empty=settings.scores.allow_empty,
            gsea_allow_empty=settings.gsea.allow_empty,
        )

    @property
    def allow_empty(self) -> dict[str, bool]:
        """Stage -> whether it may have nothing to work on."""
        return {SCORES: self.scores_allow_empty, GSEA: self.gsea_allow_empty}

    def planned(self) -> list[Planned]:
        """The collections the scores and GSEA will use, read from their files.

        Raises
        ------
        InputError
            If a gene-set file cannot be read (from :mod:`tmeseq.genesets`).
        """
        species = self.species
        merged = signature_collection(
            self.signatures, species, self.score_sets, replace=self.replace_bundled
        )
        users = [read_gene_sets(path, species) for path in self.score_sets]
        tested = gsea_collections(
            species,
            hallmarks=self.hallmarks,
            signatures=self.signatures if self.gsea_signatures else None,
            extra_signatures=self.score_sets,
            replace_signatures=self.replace_bundled,
            gmts=self.gsea_sets,
            min_size=self.min_size,
            signature_min_size=self.signature_min_size,
        )
        return planned_scores(merged, users) + planned_gsea(tested, self.max_size)


@dataclass(frozen=True)
class Planned:
    """A collection a stage will use, with the sizes a set needs to be tested.

    Attributes
    ----------
    stage : {"scores", "gsea"}
        The stage.
    collection : Collection
        The gene sets.
    min_size : int
        Expressed genes a set needs (1 for a score).
    max_size : int or None
        Most expressed genes a set may have (None: no bound).
    """

    stage: str
    collection: Collection
    min_size: int = 1
    max_size: int | None = None


@dataclass(frozen=True)
class GenePool:
    """The genes of the imported counts.

    Attributes
    ----------
    gene_ids : tuple of str
        The counts' gene IDs, in file order.
    symbols : tuple of str
        Their symbols (the ID itself where no annotation named the gene), same order.
    expressed : frozenset of str
        Symbols of the genes the DE pre-filter keeps.
    """

    gene_ids: tuple[str, ...]
    symbols: tuple[str, ...]
    expressed: frozenset[str]

    @property
    def present(self) -> frozenset[str]:
        """Every symbol in the counts."""
        return frozenset(self.symbols)

    @property
    def id_type(self) -> IdGuess:
        """The kind of gene ID the counts hold (:func:`tmeseq.idmap.detect_id_type`)."""
        return detect_id_type(self.gene_ids)

    @property
    def unnamed(self) -> bool:
        """True when most genes have no symbol of their own (symbol = gene ID) and the IDs
        are not symbols themselves: an annotation would name them."""
        if not self.gene_ids or self.id_type.kind in _SYMBOL_KINDS:
            return False
        same = sum(g == s for g, s in zip(self.gene_ids, self.symbols, strict=True))
        return same / len(self.gene_ids) > _UNNAMED_SHARE


@dataclass(frozen=True)
class Coverage:
    """How much of one planned collection the counts hold.

    Attributes
    ----------
    planned : Planned
        The collection and its stage.
    n_genes, n_in_counts, n_expressed : int
        Distinct genes of the collection; of those, in the counts; expressed.
    n_sets_testable : int
        Sets with an allowed number of expressed genes.
    """

    planned: Planned
    n_genes: int
    n_in_counts: int
    n_expressed: int
    n_sets_testable: int

    @property
    def empty(self) -> bool:
        """True when no set of the collection could be scored or tested."""
        return self.n_sets_testable == 0

    @property
    def name(self) -> str:
        """The collection's name."""
        return self.planned.collection.name

    def reason(self) -> str:
        """Why nothing could be tested (``""`` when something can), e.g. ``"not tested: no
        gene of hallmark in the counts"``."""
        if not self.empty:
            return ""
        if self.n_in_counts == 0:
            return f"{NOT_TESTED}: no gene of {self.name} in the counts"
        if self.n_expressed == 0:
            return (
                f"{NOT_TESTED}: {self.n_in_counts} of the {self.n_genes} genes of {self.name} "
                "are in the counts but none is expressed (kept by the DE pre-filter)"
            )
        return (
            f"{NOT_TESTED}: {self.n_expressed} of the {self.n_genes} genes of {self.name} are "
            f"expressed, but no set has the {_bounds(self.planned)} expressed genes a set needs"
        )

    def row(self, allowed: bool) -> dict[str, object]:
        """One row of ``qc/gene_set_coverage.tsv``."""
        collection = self.planned.collection
        status = OK if not self.empty else EMPTY
        note = self.reason()
        if self.empty and allowed:
            note += f" (allowed by {self.planned.stage}.allow_empty)"
        return {
            "stage": self.planned.stage,
            "collection": collection.name,
            "source": display_source(collection.source),
            "n_sets": len(collection.sets),
            "n_sets_testable": self.n_sets_testable,
            "min_size": self.planned.min_size,
            "max_size": self.planned.max_size if self.planned.max_size is not None else "",
            "n_genes": self.n_genes,
            "n_in_counts": self.n_in_counts,
            "n_expressed": self.n_expressed,
            "status": status,
            "note": note,
        }


def _bounds(planned: Planned) -> str:
    """``"5 to 500"`` or ``"at least 1"``."""
    if planned.max_size is None:
        return f"at least {planned.min_size}"
    return f"{planned.min_size} to {planned.max_size}"


def coverage(planned: Planned, pool: GenePool) -> Coverage:
    """Match one planned collection to the counts' genes (exact, case-sensitive symbols).

    A set is testable when its number of expressed genes lies within the planned bounds and,
    for GSEA, some expressed gene lies outside it (:func:`tmeseq.gsea.testable`).
    """
    universe = {g for s in planned.collection.sets for g in s.genes}
    sizes = [sum(g in pool.expressed for g in s.genes) for s in planned.collection.sets]
    return Coverage(
        planned=planned,
        n_genes=len(universe),
        n_in_counts=len(universe & pool.present),
        n_expressed=len(universe & pool.expressed),
        n_sets_testable=sum(_testable(n, planned, len(pool.expressed)) for n in sizes),
    )


def _testable(size: int, planned: Planned, n_expressed: int) -> bool:
    if planned.max_size is None:
        return size >= planned.min_size
    return testable(size, planned.min_size, planned.max_size, n_expressed)


def check_stage_inputs(
    pool: GenePool,
    planned: Sequence[Planned],
    allow_empty: Mapping[str, bool],
    species: Species,
) -> pd.DataFrame:
    """Check that every planned collection has something to work on.

    Parameters
    ----------
    pool : GenePool
        The imported genes: IDs, symbols, and the symbols the DE pre-filter keeps.
    planned : sequence of Planned
        The collections each stage will use (:func:`planned_collections`).
    allow_empty : mapping of str to bool
        Stage -> whether an empty collection is allowed (``<stage>.allow_empty``).
    species : {"human", "mouse"}
        The configured species (named in the fix).

    Returns
    -------
    pandas.DataFrame
        ``qc/gene_set_coverage.tsv``: one row per planned collection
        (:data:`COVERAGE_COLUMNS`), ``status`` ``ok`` or ``empty``. Empty collections that
        are allowed are logged as WARNINGs.

    Raises
    ------
    InputError
        One message for the empty collections of the stages that do not allow them: each
        collection with its file, stage and how many of its genes matched; the ID type of the
        counts with examples; and the fix.
    """
    covers = [coverage(p, pool) for p in planned]
    _log(covers)
    refused = []
    for cover in (c for c in covers if c.empty):
        if allow_empty.get(cover.planned.stage, False):
            logger.warning(
                "%s: %s (%s.allow_empty is on: the run goes on)",
                cover.planned.stage,
                cover.reason(),
                cover.planned.stage,
            )
        else:
            refused.append(cover)
    if refused:
        raise empty_error(refused, pool, species)
    rows = [c.row(allow_empty.get(c.planned.stage, False)) for c in covers]
    return pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))


def _log(covers: Iterable[Coverage]) -> None:
    for cover in covers:
        logger.info(
            "%s, collection %r: %d genes, %d in the counts, %d expressed; %d of %d sets "
            "testable (%s expressed genes)",
            cover.planned.stage,
            cover.name,
            cover.n_genes,
            cover.n_in_counts,
            cover.n_expressed,
            cover.n_sets_testable,
            len(cover.planned.collection.sets),
            _bounds(cover.planned),
        )


def empty_error(covers: Sequence[Coverage], pool: GenePool, species: Species) -> InputError:
    """One message for the collections (at least one) that leave a stage nothing to do.

    One collection reads ``<gene-set file>, <stage> stage, gene-set collection '<name>':
    nothing to work on: <how many genes matched>, so <consequence>. Gene IDs in the counts:
    <type> (e.g. ...). How to fix: ...``; several are listed one per line, followed by the
    gene IDs and one fix.
    """
    ids = f"Gene IDs in the counts: {pool.id_type.describe()}"
    if pool.symbols != pool.gene_ids:
        ids += f"; their symbols e.g. {_examples(pool.symbols)}"
    steps = dict.fromkeys(step for c in covers for step in _fix(c, pool, species))
    keys = " and ".join(f"`{stage}.allow_empty: true`" for stage in _stages(covers))
    fix = "; ".join([*steps, f"or set {keys} to run anyway (reported as not tested)"])
    if len(covers) == 1:
        cover = covers[0]
        return InputError(
            f"nothing to work on: {_what(cover)}. {ids}",
            file=display_source(cover.planned.collection.source),
            where=f"{cover.planned.stage} stage, gene-set collection '{cover.name}'",
            fix=fix,
        )
    lines = [
        f"- {display_source(c.planned.collection.source)}, {c.planned.stage} stage, gene-set "
        f"collection '{c.name}': {_what(c)}"
        for c in covers
    ]
    problem = f"{len(covers)} gene-set collections leave nothing to work on:\n"
    return InputError(problem + "\n".join(lines) + f"\n{ids}", fix=fix)


def _what(cover: Coverage) -> str:
    """How many of the collection's genes matched, and what that means for the stage."""
    stage = cover.planned.stage
    consequence = (
        "every score of it would be NA"
        if stage == SCORES
        else f"none of its {len(cover.planned.collection.sets)} sets could be tested"
    )
    if cover.n_in_counts == 0:
        matched = f"none of its {cover.n_genes} genes is in the counts"
    elif cover.n_expressed == 0:
        matched = (
            f"{cover.n_in_counts} of its {cover.n_genes} genes are in the counts but none is "
            "expressed (kept by the DE pre-filter)"
        )
    else:
        matched = (
            f"{cover.n_expressed} of its {cover.n_genes} genes are expressed, but no set has "
            f"the {_bounds(cover.planned)} expressed genes a set needs"
        )
    return f"{matched}, so {consequence}"


def _examples(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names[:N_EXAMPLES])


def _fix(cover: Coverage, pool: GenePool, species: Species) -> list[str]:
    """What to do about one collection: the likely cure first, then the generic one."""
    stage = cover.planned.stage
    genes = sorted({g for s in cover.planned.collection.sets for g in s.genes})
    steps: list[str] = []
    if cover.n_in_counts == 0 and pool.unnamed:
        steps.append(
            "give `annotation:` (a gene ID -> symbol table or a GTF) so that the genes get symbols"
        )
    data, sets = detect_id_type(pool.symbols).species, detect_id_type(genes).species
    if cover.n_in_counts == 0 and data is not None and sets is not None and data != sets:
        steps.append(
            f"set `species:` to the species of the data (the counts' symbols look {data}, the "
            f"gene sets {sets}; the config says {species})"
        )
    if cover.n_in_counts > 0 and cover.n_expressed < cover.n_in_counts:
        steps.append("check `de.prefilter` (it decides which genes count as expressed)")
    steps.append(
        "check that each gene-set file named lists gene symbols of the counts' species "
        f"(`species: {species}`)"
    )
    if stage == GSEA and cover.n_expressed > 0:
        steps.append("lower `gsea.min_size` / `gsea.signature_min_size`")
    return steps


def _stages(covers: Sequence[Coverage]) -> list[str]:
    """The stages of ``covers``, in first-appearance order."""
    return list(dict.fromkeys(c.planned.stage for c in covers))


# --- what the stages will use -------------------------------------------------------------------


def planned_scores(collection: Collection, user_files: Sequence[Collection]) -> list[Planned]:
    """What the scores stage uses: the collection it scores (the signatures with the user's
    sets, :func:`tmeseq.genesets.signature_collection`), and each user file on its own (a
    file none of whose genes is expressed is a mistake even when other sets are scored)."""
    return [Planned(SCORES, collection), *(Planned(SCORES, c) for c in user_files)]


def planned_gsea(tested: Sequence[tuple[Collection, int]], max_size: int) -> list[Planned]:
    """What GSEA tests: each collection with its smallest set size
    (:func:`tmeseq.genesets.gsea_collections`) and ``gsea.max_size``."""
    return [Planned(GSEA, collection, size, max_size) for collection, size in tested]


def gene_pool(var: pd.DataFrame, expressed: Iterable[bool] | AbstractSet[str]) -> GenePool:
    """The :class:`GenePool` of a ``counts.h5ad`` ``var`` table (``gene_id``, ``symbol``).

    Parameters
    ----------
    var : pandas.DataFrame
        The imported genes.
    expressed : iterable of bool or set of str
        The DE pre-filter's mask over ``var``'s rows, or the expressed symbols.
    """
    gene_ids = tuple(str(g) for g in var["gene_id"])
    symbols = tuple(str(s) for s in var["symbol"])
    if isinstance(expressed, AbstractSet):
        kept = frozenset(str(s) for s in expressed)
    else:
        kept = frozenset(s for s, k in zip(symbols, expressed, strict=True) if k)
    return GenePool(gene_ids=gene_ids, symbols=symbols, expressed=kept)
