"""Gene ID types and the bundled ID tables: what a count file's IDs are, and their symbols.

When the config gives no ``annotation:``, the import asks this module what the count file's
gene IDs are (:func:`detect_id_type`), checks them against ``species:``
(:func:`check_species`) and takes symbols (and, for human, biotypes) from the bundled table of
that ID type (:func:`bundled_annotation`). The tables live in
``workflow/resources/annotation/`` (names in :data:`tmeseq.resources.ID_TABLES`; sources,
versions and licences in that folder's ``SOURCE.md``; built by ``tools/build_id_tables.py``):

* human Ensembl gene ID -> symbol, biotype (Ensembl GRCh38.p13; NCBI Gene types);
* mouse Ensembl gene ID -> symbol (Ensembl GRCm39; no biotype in the sources);
* human Entrez gene ID -> symbol, biotype (NCBI Gene via org.Hs.eg.db 3.16.0);
* human <-> mouse orthologs (:func:`read_orthologs`, :func:`ortholog_symbols`).

ID types (:data:`KIND_LABELS`) are recognised per ID by pattern, and the type of a list is the
one most IDs have (at least half, else ``"other"``): Ensembl human ``ENSG`` and mouse
``ENSMUSG`` gene IDs with or without a version (``.12``) and GENCODE's ``_PAR_Y`` suffix,
Ensembl IDs of other species and Ensembl transcript IDs, Entrez (digits only), RefSeq,
FlyBase, WormBase, MGI and HGNC accessions, human-style symbols (no lower-case letter, e.g.
``CD8A``, ``HLA-A``, ``C1orf112``) and mouse-style symbols (capitalised, e.g. ``Cd8a``,
``mt-Co1``, ``4933401J01Rik``).

Tables are read when asked for and returned to the caller, which keeps them as long as it
needs them (nothing is cached in this module).
"""

from __future__ import annotations

import gzip
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from tmeseq.errors import InputError
from tmeseq.resources import (
    ID_TABLES,
    ORTHOLOG_TABLE,
    RESOURCES_DIR,
    SPECIES_ID_TABLES,
    bundled_path,
)

__all__ = [
    "KIND_LABELS",
    "MIN_MATCH",
    "BundledAnnotation",
    "IdGuess",
    "IdTable",
    "check_species",
    "detect_id_type",
    "ortholog_symbols",
    "read_id_table",
    "read_orthologs",
    "strip_version",
    "table_for",
    "table_paths",
]

logger = logging.getLogger(__name__)

Species = Literal["human", "mouse"]

#: Every ID kind, in the order IDs are tested (the first pattern an ID matches is its kind).
KIND_LABELS: Mapping[str, str] = {
    "ensembl_human": "human Ensembl gene IDs",
    "ensembl_mouse": "mouse Ensembl gene IDs",
    "ensembl_other": "Ensembl gene IDs of another species",
    "ensembl_transcript": "Ensembl transcript IDs",
    "entrez": "Entrez (NCBI Gene) IDs",
    "refseq": "RefSeq transcript IDs",
    "flybase": "FlyBase gene IDs",
    "wormbase": "WormBase gene IDs",
    "mgi": "MGI accessions",
    "hgnc": "HGNC accessions",
    "symbol_human": "human-style gene symbols (upper case)",
    "symbol_mouse": "mouse-style gene symbols (capitalised)",
    "other": "IDs of no recognised type",
}

_PATTERNS: Mapping[str, str] = {
    "ensembl_human": r"ENSG\d{11}(?:\.\d+)?(?:_PAR_Y)?",
    "ensembl_mouse": r"ENSMUSG\d{11}(?:\.\d+)?(?:_PAR_Y)?",
    "ensembl_other": r"ENS[A-Z]{3}G\d{11}(?:\.\d+)?",
    "ensembl_transcript": r"ENS(?:[A-Z]{3})?T\d{11}(?:\.\d+)?(?:_PAR_Y)?",
    "entrez": r"\d+",
    "refseq": r"[NX][MR]_\d+(?:\.\d+)?",
    "flybase": r"FBgn\d+",
    "wormbase": r"WBGene\d+",
    "mgi": r"MGI:\d+",
    "hgnc": r"HGNC:\d+",
    "symbol_human": r"[A-Z][A-Z0-9._-]*|C\d+orf\d+",
    "symbol_mouse": r"[A-Z][A-Za-z0-9._-]*[a-z][A-Za-z0-9._-]*|mt-[A-Za-z0-9._-]+"
    r"|\d[A-Za-z0-9._-]*Rik",
}
_SPECIES_OF: Mapping[str, Species] = {
    "ensembl_human": "human",
    "ensembl_mouse": "mouse",
    "symbol_human": "human",
    "symbol_mouse": "mouse",
}
_ENSEMBL_VERSIONED = re.compile(r"^(ENS[A-Z]*\d{11})\.\d+(_PAR_Y)?$")
_PAR_Y = "_PAR_Y"

#: Below this share of the counts' genes found in the bundled table, it is not used.
MIN_MATCH = 0.5
#: A list's type needs at least this share of its IDs (else it is ``"other"``).
MAJORITY = 0.5
#: IDs shown as examples in messages.
N_EXAMPLES = 3


def strip_version(gene_ids: pd.Index) -> pd.Index:
    """Remove Ensembl version suffixes from gene IDs.

    ``ENSG00000141510.17`` becomes ``ENSG00000141510`` (any species prefix: ``ENSMUSG``,
    ``ENSDARG``, ...). A GENCODE pseudo-autosomal suffix is kept so that the Y copy stays
    distinct: ``ENSG00000182378.14_PAR_Y`` becomes ``ENSG00000182378_PAR_Y``. Anything else is
    left untouched, including non-Ensembl IDs that contain dots (``AC008770.3``, ``Y74C9A.3``).

    Parameters
    ----------
    gene_ids : pandas.Index
        Gene IDs; non-string values (e.g. integer Entrez IDs) are converted to strings.

    Returns
    -------
    pandas.Index
        The IDs as strings, without version, same order and name.
    """
    as_str = pd.Index(gene_ids.astype(str), name=gene_ids.name)
    stripped = as_str.str.replace(_ENSEMBL_VERSIONED, r"\1\2", regex=True)
    return pd.Index(stripped, dtype=object, name=gene_ids.name)


# ---------------------------------------------------------------------------------------------
# detecting the ID type
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdGuess:
    """What kind of gene IDs a list holds, and how sure that is.

    Attributes
    ----------
    kind : str
        One of :data:`KIND_LABELS` (``"other"`` when no kind has :data:`MAJORITY`).
    n_ids : int
        IDs looked at.
    shares : mapping of str to float
        Share of the IDs of each kind present (kinds in :data:`KIND_LABELS` order; ``"other"``
        for IDs of no kind).
    examples : tuple of str
        A few IDs of ``kind`` (of the list when ``kind`` is ``"other"``).
    versioned : float
        Share of the Ensembl IDs of ``kind`` that carry a version suffix (0 for other kinds).
    """

    kind: str
    n_ids: int
    shares: Mapping[str, float]
    examples: tuple[str, ...]
    versioned: float = 0.0

    @property
    def share(self) -> float:
        """Share of the IDs that are of :attr:`kind`."""
        return self.shares.get(self.kind, 0.0)

    @property
    def species(self) -> Species | None:
        """The species the kind belongs to, if it tells (Ensembl and symbol styles)."""
        return _SPECIES_OF.get(self.kind)

    @property
    def label(self) -> str:
        """The kind in words, e.g. ``"mouse Ensembl gene IDs"``."""
        return KIND_LABELS[self.kind]

    def describe(self) -> str:
        """One phrase for messages.

        Returns
        -------
        str
            E.g. ``"mouse Ensembl gene IDs, versioned (e.g. 'ENSMUSG00000102693.2'; 100.0% of
            53647 IDs)"``.
        """
        version = ""
        if self.kind.startswith("ensembl"):
            version = ", versioned" if self.versioned >= MAJORITY else ", without version"
        shown = ", ".join(repr(e) for e in self.examples) or "none"
        if self.kind == "other":
            return f"{self.label} (e.g. {shown}; no type reaches half of {self.n_ids} IDs)"
        return f"{self.label}{version} (e.g. {shown}; {100 * self.share:.1f}% of {self.n_ids} IDs)"


def id_kinds(gene_ids: Iterable[object]) -> pd.Series:
    """The kind of each ID (:data:`KIND_LABELS`), in order; ``"other"`` for unmatched IDs.

    Parameters
    ----------
    gene_ids : iterable
        Gene IDs (converted to stripped strings).

    Returns
    -------
    pandas.Series
        Kinds, positionally aligned with ``gene_ids``.
    """
    ids = pd.Series([str(i).strip() for i in gene_ids], dtype=object)
    kinds = pd.Series("other", index=ids.index, dtype=object)
    unassigned = pd.Series(True, index=ids.index)
    for kind, pattern in _PATTERNS.items():
        hit = unassigned & ids.str.fullmatch(pattern).fillna(False).astype(bool)
        kinds[hit] = kind
        unassigned &= ~hit
    return kinds


def detect_id_type(gene_ids: Iterable[object]) -> IdGuess:
    """Recognise the kind of a list of gene IDs (the module docstring lists the kinds).

    Parameters
    ----------
    gene_ids : iterable
        Gene IDs as in the counts (any order; duplicates count each time).

    Returns
    -------
    IdGuess
        The majority kind (or ``"other"``), every kind's share and examples.
    """
    ids = [str(i).strip() for i in gene_ids]
    kinds = id_kinds(ids)
    if not ids:
        return IdGuess(kind="other", n_ids=0, shares={}, examples=())
    counts = kinds.value_counts()
    shares = {k: float(counts[k]) / len(ids) for k in [*KIND_LABELS] if k in counts.index}
    best = max(shares, key=lambda k: (shares[k], k != "other"))
    kind = best if shares[best] >= MAJORITY else "other"
    chosen = [i for i, k in zip(ids, kinds, strict=True) if k == kind or kind == "other"]
    versioned = 0.0
    if kind.startswith("ensembl"):
        versioned = sum(bool(_ENSEMBL_VERSIONED.match(i)) for i in chosen) / len(chosen)
    return IdGuess(
        kind=kind,
        n_ids=len(ids),
        shares=shares,
        examples=tuple(chosen[:N_EXAMPLES]),
        versioned=versioned,
    )


# ---------------------------------------------------------------------------------------------
# the bundled tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class IdTable:
    """One bundled gene ID table.

    Attributes
    ----------
    name : str
        Its key in :data:`tmeseq.resources.ID_TABLES`, e.g. ``"ensembl_mouse"``.
    path : Path
        The file read.
    label : str
        The sources and versions, from the file's first line (after its ``|``).
    frame : pandas.DataFrame
        Indexed by gene ID (strings, unique, no version), columns ``symbol`` and ``biotype``
        (strings, NaN where the source has none).
    """

    name: str
    path: Path
    label: str
    frame: pd.DataFrame

    @property
    def file(self) -> str:
        """The table's path in the repository, for messages."""
        return f"{RESOURCES_DIR}/{ID_TABLES[self.name]}"

    @property
    def has_biotypes(self) -> bool:
        """Whether any gene has a biotype (the mouse table has none)."""
        return bool(self.frame["biotype"].notna().any())


def table_paths(paths: Iterable[str | Path]) -> dict[str, Path]:
    """Name the bundled ID tables among ``paths`` (the workflow passes them as rule inputs).

    Parameters
    ----------
    paths : iterable of str or Path
        Files whose names are those of :data:`tmeseq.resources.ID_TABLES`; others are ignored.

    Returns
    -------
    dict of str to Path
        Table name (e.g. ``"ensembl_human"``) -> its path.
    """
    by_file = {Path(relative).name: name for name, relative in ID_TABLES.items()}
    found = {}
    for path in map(Path, paths):
        if path.name in by_file:
            found[by_file[path.name]] = path
    return found


def _read_commented_tsv(path: Path) -> tuple[str, pd.DataFrame]:
    """A bundled table: the text of its ``#`` first line, and the cells as strings."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        comment = handle.readline().lstrip("#").strip()
        label = comment.partition(" | ")[2] or comment
        frame = pd.read_csv(handle, sep="\t", dtype=str, keep_default_na=False, na_values=[""])
    return label, frame


def read_id_table(name: str, path: str | Path | None = None) -> IdTable:
    """Read one bundled ID table.

    Parameters
    ----------
    name : str
        A key of :data:`tmeseq.resources.ID_TABLES`.
    path : str or Path, optional
        The file; default the bundled copy (:func:`tmeseq.resources.bundled_path`).

    Returns
    -------
    IdTable
        The table and its sources.
    """
    where = Path(path) if path is not None else bundled_path(ID_TABLES[name])
    label, frame = _read_commented_tsv(where)
    frame = frame.set_index("gene_id")[["symbol", "biotype"]].astype(object)
    frame.index = pd.Index(frame.index, dtype=object, name="gene_id")
    return IdTable(name=name, path=where, label=label, frame=frame)


def table_for(kind: str, species: str) -> str | None:
    """The bundled table for IDs of ``kind`` in a run of ``species``, or None if there is none.

    Parameters
    ----------
    kind : str
        An ID kind (:data:`KIND_LABELS`).
    species : {"human", "mouse"}
        The configured species.

    Returns
    -------
    str or None
        A key of :data:`tmeseq.resources.ID_TABLES` that the species may use.
    """
    name = f"{kind}_{species}" if kind == "entrez" else kind
    return name if name in SPECIES_ID_TABLES.get(species, ()) else None


# ---------------------------------------------------------------------------------------------
# the species check
# ---------------------------------------------------------------------------------------------


def check_species(
    gene_ids: Iterable[object],
    species: str,
    *,
    file: str | Path | None = None,
    where: str | None = "gene ID column",
    has_symbols: bool = False,
    tables: Mapping[str, Path] | None = None,
    guess: IdGuess | None = None,
) -> IdGuess:
    """Check that the count file's gene IDs suit a run of ``species`` without an annotation.

    For runs with no ``annotation:`` (with one, the user's table decides the symbols). Raises
    when the IDs are:

    * Ensembl gene IDs of the other species (``ENSMUSG`` under ``species: human``, ``ENSG``
      under ``species: mouse``) or of a species tmeseq has no table for;
    * Ensembl transcript IDs (counts must be per gene);
    * Entrez IDs under ``species: mouse`` (no bundled mouse Entrez table), unless the count
      file carries its own symbols (``has_symbols``);
    * gene symbols of the other species' style of which most are that species' known symbols
      and fewer are known symbols of ``species`` (checked in the bundled Ensembl tables, so
      made-up names such as ``Gene1`` never trip it).

    Any other kind passes (symbols of the species, unrecognised IDs: the import keeps them).

    Parameters
    ----------
    gene_ids : iterable
        Gene IDs as in the counts (all of them, or the first few thousand).
    species : {"human", "mouse"}
        The configured ``species``.
    file : str or Path, optional
        The count file, named in the message.
    where : str, optional
        Where in the file, named in the message.
    has_symbols : bool
        Whether the count file carries a symbol column of its own.
    tables : mapping of str to Path, optional
        ID table name -> path (:func:`table_paths`); default the bundled copies. Read only for
        the symbol check.
    guess : IdGuess, optional
        :func:`detect_id_type` of ``gene_ids``, when the caller has it already.

    Returns
    -------
    IdGuess
        What the IDs are.

    Raises
    ------
    InputError
        Naming the ID type found, the species configured and the fix.
    """
    ids = [str(i).strip() for i in gene_ids]
    guess = guess or detect_id_type(ids)
    problem = _species_problem(guess, species, has_symbols)
    if problem is None and guess.kind in ("symbol_human", "symbol_mouse"):
        problem = _symbol_problem(ids, guess, species, tables or {})
    if problem is not None:
        raise InputError(problem[0], file=file, where=where, fix=problem[1])
    return guess


def _species_problem(guess: IdGuess, species: str, has_symbols: bool) -> tuple[str, str] | None:
    """(what is wrong, fix) for an ID kind that cannot work under ``species``, else None."""
    found = f"the gene IDs are {guess.describe()}"
    other = "mouse" if species == "human" else "human"
    if guess.kind.startswith("ensembl_") and guess.kind[len("ensembl_") :] == other:
        return (
            f"{found}, but species is '{species}'",
            f"set `species: {other}` in the config if these are {other} samples, or give "
            f"`annotation:` a table mapping these IDs to {species} gene symbols",
        )
    if guess.kind == "ensembl_other":
        return (
            f"{found}; tmeseq bundles gene tables for human and mouse only "
            f"(species is '{species}')",
            f"give `annotation:` a table mapping these IDs to {species} gene symbols (first "
            "column the gene ID, a column named 'symbol')",
        )
    if guess.kind == "ensembl_transcript":
        return (
            f"{found}: the counts are per transcript, and tmeseq compares genes",
            "give gene-level counts, or the salmon/kallisto output folders with "
            "`counts.tx2gene` so the transcripts are summed to genes",
        )
    if guess.kind == "entrez" and species == "mouse" and not has_symbols:
        return (
            f"{found}; tmeseq bundles no mouse Entrez table, so these genes would have no "
            "symbols (species is 'mouse')",
            "give `annotation:` a table with the Entrez IDs in the first column and a "
            "'symbol' column (e.g. exported from org.Mm.eg.db), or counts with Ensembl IDs",
        )
    return None


def _symbol_problem(
    ids: list[str], guess: IdGuess, species: str, tables: Mapping[str, Path]
) -> tuple[str, str] | None:
    """(what is wrong, fix) when the symbols are known symbols of the other species, else None."""
    style = guess.species
    if style is None or style == species:
        return None
    known_other = _known_share(ids, f"ensembl_{style}", tables)
    known_own = _known_share(ids, f"ensembl_{species}", tables)
    if known_other < MAJORITY or known_other <= known_own:
        return None
    return (
        f"the gene IDs are {guess.describe()}, {100 * known_other:.1f}% of them known {style} "
        f"symbols (and {100 * known_own:.1f}% known {species} symbols), but species is "
        f"'{species}'",
        f"set `species: {style}` in the config if these are {style} samples, or give "
        f"`annotation:` a table mapping these names to {species} gene symbols",
    )


def _known_share(ids: list[str], table: str, tables: Mapping[str, Path]) -> float:
    symbols = set(read_id_table(table, tables.get(table)).frame["symbol"].dropna())
    return sum(i in symbols for i in ids) / len(ids) if ids else 0.0


# ---------------------------------------------------------------------------------------------
# symbols from the bundled tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BundledAnnotation:
    """What :func:`bundled_annotation` found for a count file's genes.

    Attributes
    ----------
    guess : IdGuess
        The ID type.
    table : IdTable or None
        The table used; None when none applies (symbols, unrecognised IDs) or too few of the
        genes are in it (:data:`MIN_MATCH`).
    annotation : pandas.DataFrame or None
        For :func:`tmeseq.annotation.annotate`: indexed by the counts' version-stripped IDs,
        column ``symbol`` and, when the table has biotypes, ``biotype``; None without a table.
    n_matched : int
        Genes of the counts found in the table.
    note : str
        One line saying what was done, for the log and the import provenance.
    """

    guess: IdGuess
    table: IdTable | None
    annotation: pd.DataFrame | None
    n_matched: int
    note: str

    @property
    def source(self) -> str:
        """The table for provenance: ``"bundled <file> (<sources>)"``, or ``""`` when none."""
        return f"bundled {self.table.file} ({self.table.label})" if self.table else ""


def bundled_annotation(
    gene_ids: pd.Index,
    species: str,
    *,
    tables: Mapping[str, Path] | None = None,
    has_symbols: bool = False,
    file: str | Path | None = None,
) -> BundledAnnotation:
    """Detect the ID type of the counts, check it against ``species`` and look the genes up.

    Logs (INFO) which table was used, its sources and how many genes it named; a WARNING when
    the IDs look like a table's kind but fewer than :data:`MIN_MATCH` of them are in it (then
    the table is not used: the IDs are probably not genuine, or of a very different release).
    Ensembl IDs are matched without version; a ``_PAR_Y`` gene takes its X copy's symbol.

    Parameters
    ----------
    gene_ids : pandas.Index
        The counts' gene IDs (unique).
    species : {"human", "mouse"}
        The configured species.
    tables : mapping of str to Path, optional
        ID table name -> path (:func:`table_paths`); default the bundled copies.
    has_symbols : bool
        Whether the count file carries its own symbols (see :func:`check_species`).
    file : str or Path, optional
        The count file, for messages.

    Returns
    -------
    BundledAnnotation
        The table, the per-gene annotation and a note.

    Raises
    ------
    InputError
        From :func:`check_species`.
    """
    tables = tables or {}
    guess = check_species(gene_ids, species, file=file, has_symbols=has_symbols, tables=tables)
    name = table_for(guess.kind, species)
    if name is None:
        note = f"Gene IDs are {guess.describe()}: no bundled table applies, IDs kept as given"
        logger.info("%s", note)
        return BundledAnnotation(guess, None, None, 0, note)
    table = read_id_table(name, tables.get(name))
    keys = strip_version(gene_ids).str.replace(f"{_PAR_Y}$", "", regex=True)
    found = table.frame.reindex(pd.Index(keys, dtype=object))
    n_matched = int(found.index.isin(table.frame.index).sum())
    share = n_matched / len(gene_ids) if len(gene_ids) else 0.0
    where = f"the bundled table {table.file} ({table.label})"
    if share < MIN_MATCH:
        note = (
            f"Gene IDs look like {guess.describe()}, but only {n_matched} of {len(gene_ids)} "
            f"({100 * share:.1f}%) are in {where}: not used, IDs kept as given; give "
            "`annotation:` a table for these IDs"
        )
        logger.warning("%s", note)
        return BundledAnnotation(guess, None, None, n_matched, note)
    annotation = pd.DataFrame(
        {"symbol": found["symbol"].to_numpy()}, index=strip_version(gene_ids), dtype=object
    )
    if table.has_biotypes:
        annotation["biotype"] = found["biotype"].to_numpy()
    note = (
        f"Gene IDs are {guess.describe()}; symbols from {where}: {n_matched} of "
        f"{len(gene_ids)} genes ({100 * share:.1f}%) found"
    )
    logger.info("%s", note)
    return BundledAnnotation(guess, table, annotation, n_matched, note)


# ---------------------------------------------------------------------------------------------
# orthologs
# ---------------------------------------------------------------------------------------------


def read_orthologs(path: str | Path | None = None) -> pd.DataFrame:
    """Read the bundled human <-> mouse ortholog table.

    Parameters
    ----------
    path : str or Path, optional
        The file; default the bundled copy.

    Returns
    -------
    pandas.DataFrame
        One row per ortholog pair: ``human_gene_id``, ``human_symbol``, ``mouse_gene_id``,
        ``mouse_symbol`` (NaN where Ensembl has no name), ``homology_type``
        (``ortholog_one2one``, ``ortholog_one2many``, ``ortholog_many2many``).
    """
    where = Path(path) if path is not None else bundled_path(ORTHOLOG_TABLE)
    return _read_commented_tsv(where)[1]


def ortholog_symbols(
    symbols: Iterable[str], source: str, *, table: pd.DataFrame | None = None
) -> dict[str, tuple[str, ...]]:
    """The other species' ortholog symbols of ``symbols``.

    Parameters
    ----------
    symbols : iterable of str
        Gene symbols of ``source`` (matched exactly, case-sensitive).
    source : {"human", "mouse"}
        Their species; the orthologs are of the other one.
    table : pandas.DataFrame, optional
        :func:`read_orthologs` (pass it to look up many times); default read it now.

    Returns
    -------
    dict of str to tuple of str
        Each symbol -> its orthologs' symbols (sorted, unique; empty when there is none).
    """
    if source not in ("human", "mouse"):
        raise ValueError(f"source must be 'human' or 'mouse', not {source!r}")
    target = "mouse" if source == "human" else "human"
    pairs = (table if table is not None else read_orthologs())[
        [f"{source}_symbol", f"{target}_symbol"]
    ].dropna()
    grouped = pairs.groupby(f"{source}_symbol")[f"{target}_symbol"].agg(
        lambda found: tuple(sorted(set(found)))
    )
    return {s: tuple(grouped.get(s, ())) for s in symbols}
