"""Gene annotation: map the gene IDs of a count matrix to unique gene symbols.

Three steps, each a public function:

* :func:`strip_version` (from :mod:`tmeseq.idmap`) removes Ensembl version suffixes so that
  ``ENSG00000141510.17`` in the counts matches ``ENSG00000141510`` in an annotation (and vice
  versa).
* :func:`read_annotation` reads a gene ID -> symbol table (TSV/CSV, plain or gzipped) or a GTF,
  with biotypes when it has them and, for a GTF, each gene's exon-union length.
* :func:`annotate` builds the ``var`` table of the count matrix: the counts' own gene IDs plus a
  unique symbol per gene (and the biotype when the annotation has one), and an
  :class:`AnnotationReport` saying how well that went.

Without an annotation file the import takes the bundled tables of :mod:`tmeseq.idmap`.
"""

from __future__ import annotations

import gzip
import logging
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from tmeseq.errors import InputError
from tmeseq.idmap import detect_id_type, strip_version

__all__ = [
    "BIOTYPE_COLUMNS",
    "MISSING_VALUES",
    "SYMBOL_COLUMNS",
    "AnnotationReport",
    "annotate",
    "exon_union_length",
    "read_annotation",
    "strip_version",
]

logger = logging.getLogger(__name__)

#: Symbol column names looked for in an annotation table, in order of precedence.
#: Compared case-insensitively; the first name of this list present among the columns wins, and
#: if two columns match the same name (e.g. ``symbol`` and ``SYMBOL``) the leftmost one wins.
SYMBOL_COLUMNS: tuple[str, ...] = (
    "symbol",
    "gene_name",
    "gene_symbol",
    "external_gene_name",
    "hgnc_symbol",
    "mgi_symbol",
    "gene name",
)

#: Biotype column names looked for in an annotation table (compared like
#: :data:`SYMBOL_COLUMNS`); GTFs give ``gene_type`` (GENCODE) or ``gene_biotype`` (Ensembl).
BIOTYPE_COLUMNS: tuple[str, ...] = ("biotype", "gene_biotype", "gene_type", "gene type")

#: Cell values read as "no value" in annotation tables (besides empty cells).
MISSING_VALUES: tuple[str, ...] = ("NA", "N/A", "NaN", "nan", "null", "NULL", "None", "-")

#: Below this fraction of genes matched by the annotation, :func:`annotate` warns.
LOW_COVERAGE = 0.5

#: How many renamed genes :class:`AnnotationReport` keeps as examples.
N_EXAMPLES = 5

_GTF_GENE_ID = re.compile(r'(?:^|;)\s*gene_id\s+"([^"]*)"')
_GTF_GENE_NAME = re.compile(r'(?:^|;)\s*gene_name\s+"([^"]*)"')
_GTF_BIOTYPE = re.compile(r'(?:^|;)\s*gene_(?:bio)?type\s+"([^"]*)"')


@dataclass(frozen=True)
class AnnotationReport:
    """What :func:`annotate` did.

    Attributes
    ----------
    n_genes : int
        Genes in the counts.
    n_annotated : int
        Genes that got a symbol (from the annotation or from the counts file).
    n_without_symbol : int
        Genes without any symbol; they kept their gene ID as symbol.
    n_duplicated_symbols : int
        Symbols shared by more than one gene (before renaming).
    n_renamed : int
        Genes renamed to ``<symbol>_<gene_id>`` to make symbols unique.
    examples : tuple of (str, str)
        A few renamed genes as ``(gene_id, new symbol)``, in the counts' gene order.
    n_from_annotation : int
        Genes whose symbol came from the annotation table or GTF.
    n_from_counts : int
        Genes whose symbol came from the counts file's own symbol column.
    source : str or None
        Where the annotation came from (for messages), if known.
    """

    n_genes: int
    n_annotated: int
    n_without_symbol: int
    n_duplicated_symbols: int
    n_renamed: int
    examples: tuple[tuple[str, str], ...] = ()
    n_from_annotation: int = 0
    n_from_counts: int = 0
    source: str | None = None

    def summary(self) -> str:
        """One line with all the counts, for logs and reports.

        Returns
        -------
        str
            E.g. ``"22187 genes: 21000 with a symbol (21000 from annotation x.tsv, 0 from the
            counts file), 1187 kept their ID; 12 symbols shared by >1 gene, 13 genes renamed
            (e.g. 3045 -> HBD_3045)"``.
        """
        origin = f"annotation {self.source}" if self.source else "the annotation"
        text = (
            f"{self.n_genes} genes: {self.n_annotated} with a symbol "
            f"({self.n_from_annotation} from {origin}, {self.n_from_counts} from the counts "
            f"file), {self.n_without_symbol} kept their ID; {self.n_duplicated_symbols} symbols "
            f"shared by >1 gene, {self.n_renamed} genes renamed"
        )
        if self.examples:
            shown = ", ".join(f"{gene} -> {symbol}" for gene, symbol in self.examples)
            text += f" (e.g. {shown})"
        return text


# ---------------------------------------------------------------------------------------------
# reading annotation files
# ---------------------------------------------------------------------------------------------


def read_annotation(path: str | Path) -> pd.DataFrame:
    """Read a gene ID -> symbol annotation from a table or a GTF.

    The format is recognised from the content (plain or gzip-compressed, whatever the name):

    * **GTF** when the first non-comment line has 9 tab-separated fields and its attributes carry
      ``gene_id "..."``. The symbol is the ``gene_name`` of the gene's ``gene`` line; a gene
      without a ``gene`` line (or whose ``gene`` line lacks ``gene_name``) takes the first
      ``gene_name`` found on any other line with its ``gene_id``. The biotype is
      ``gene_type`` (GENCODE) or ``gene_biotype`` (Ensembl), by the same rule. The length is
      the gene's exon-union length (:func:`exon_union_length`: the ``exon`` lines of all its
      transcripts, overlaps counted once).
    * **Table** otherwise: delimiter sniffed from the header line (tab, then comma, then
      semicolon); the first column is the gene ID whatever its name. The symbol column is the
      first of :data:`SYMBOL_COLUMNS` (``symbol``, ``gene_name``, ``gene_symbol``,
      ``external_gene_name``, ``hgnc_symbol``, ``mgi_symbol``, ``gene name``) present, compared
      case-insensitively (``SYMBOL``, ``Symbol``, ``Gene_Name`` all match); if two columns
      match the same name, the leftmost wins. A biotype column is found the same way among
      :data:`BIOTYPE_COLUMNS`. Empty cells and :data:`MISSING_VALUES` (``NA`` ...) are
      missing. The header is the first non-blank line, even if it starts with ``#`` (the
      ``#`` is ignored when matching column names); tables take no comment lines.

    Gene IDs are version-stripped (:func:`strip_version`). An ID may occur more than once: the
    first non-missing symbol (and biotype) in file order is kept. In a table, two rows giving
    one ID two different symbols are an error.

    Parameters
    ----------
    path : str or Path
        The annotation file.

    Returns
    -------
    pandas.DataFrame
        Indexed by unique gene ID (index name ``"gene_id"``, strings, in order of first
        appearance) with a column ``"symbol"`` (strings, NaN where missing), a column
        ``"biotype"`` (strings, NaN where missing) when the file has biotypes, and for a GTF
        with exon lines a column ``"length"`` (float64 base pairs, NaN for genes without
        exons).

    Raises
    ------
    InputError
        If the file is missing or empty, is a GFF3, a table lacks a gene ID or symbol column,
        a table gives one gene ID two symbols, or a GTF has no ``gene_name`` attribute.
    """
    path = Path(path)
    try:
        return _read_annotation(path)
    except (OSError, EOFError, UnicodeDecodeError, zlib.error, pd.errors.ParserError) as error:
        raise InputError(
            f"the annotation cannot be read ({type(error).__name__}: "
            f"{getattr(error, 'strerror', None) or error})",
            file=path,
            fix="give a readable UTF-8 table (gene ID column, then a symbol column; TSV/CSV, "
            "gzip ok) or a GTF, readable by the user running snakemake",
        ) from error


def _read_annotation(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(
            "annotation file not found",
            file=path,
            fix="check the annotation path in the config (relative paths are resolved from "
            "the directory Snakemake runs in)",
        )
    first = _first_line(path, skip_comments=True)
    if first is None:
        raise InputError(
            "the annotation file is empty",
            file=path,
            fix="give a table with a gene ID column then a symbol column, or a GTF",
        )
    fields = first.rstrip("\r\n").split("\t")
    if len(fields) == 9 and _GTF_GENE_ID.search(fields[8]):
        return _read_gtf(path)
    if len(fields) == 9 and "ID=" in fields[8]:
        raise InputError(
            "this looks like a GFF3 file, which is not supported",
            file=path,
            fix="give a GTF (e.g. convert with `gffread in.gff3 -T -o out.gtf`) or a table "
            "with a gene ID column then a 'symbol' column",
        )
    return _read_table(path)


def exon_union_length(exons: list[tuple[str, int, int]]) -> int:
    """Base pairs covered by a gene's exons, each position counted once.

    Parameters
    ----------
    exons : list of (str, int, int)
        ``(chromosome, start, end)`` of every exon of every transcript of the gene, 1-based
        and inclusive as in a GTF.

    Returns
    -------
    int
        The length of the union of the exons (overlapping exons merged, per chromosome).
    """
    total = 0
    current: tuple[str, int, int] | None = None
    for chrom, start, end in sorted(exons):
        if current is not None and chrom == current[0] and start <= current[2] + 1:
            current = (chrom, current[1], max(current[2], end))
            continue
        if current is not None:
            total += current[2] - current[1] + 1
        current = (chrom, start, end)
    if current is not None:
        total += current[2] - current[1] + 1
    return total


@contextmanager
def _open_text(path: Path) -> Iterator[IO[str]]:
    """Open a plain or gzip-compressed text file (recognised by its magic bytes)."""
    opener = gzip.open if _is_gzip(path) else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        yield handle


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as raw:
        return raw.read(2) == b"\x1f\x8b"


def _first_line(path: Path, skip_comments: bool) -> str | None:
    """The first non-blank line (not starting with ``#`` if ``skip_comments``), or None."""
    found = _first_line_and_number(path, skip_comments)
    return found[0] if found else None


def _first_line_and_number(path: Path, skip_comments: bool) -> tuple[str, int] | None:
    """The first non-blank line (see :func:`_first_line`) and its 1-based line number."""
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip() and not (skip_comments and line.startswith("#")):
                return line, number
    return None


def _valid_ids(ids: pd.Series) -> np.ndarray:
    """Mask of the non-missing, non-blank IDs."""
    return ids.notna().to_numpy() & (ids.astype(str).str.strip() != "").to_numpy()


def _collapse(ids: pd.Series, columns: dict[str, pd.Series]) -> pd.DataFrame:
    """One row per version-stripped ID (missing/blank IDs dropped), first non-missing values."""
    keep = _valid_ids(ids)
    keys = strip_version(pd.Index(ids[keep].astype(str).str.strip()))
    frame = pd.DataFrame(
        {name: values[keep].to_numpy() for name, values in columns.items()},
        index=pd.Index(keys, dtype=object, name="gene_id"),
    )
    collapsed = frame.groupby(level=0, sort=False).first()
    for name in columns:
        if name != "length":
            collapsed[name] = collapsed[name].astype(object)
    collapsed.index = pd.Index(collapsed.index, dtype=object, name="gene_id")
    return collapsed


def _sniff_delimiter(header: str) -> str:
    for delimiter in ("\t", ",", ";"):
        if delimiter in header:
            return delimiter
    return "\t"


def _find_column(columns: list[str], wanted_names: tuple[str, ...]) -> str | None:
    """The first of ``wanted_names`` among ``columns`` (case-insensitive, ``#`` ignored)."""
    lowered = [c.strip().lstrip("#").strip().lower() for c in columns]
    for wanted in wanted_names:
        if wanted in lowered:
            return columns[lowered.index(wanted)]
    return None


def _read_table(path: Path) -> pd.DataFrame:
    found = _first_line_and_number(path, skip_comments=False)
    header, header_line = found if found else ("", 1)
    table = pd.read_csv(
        path,
        sep=_sniff_delimiter(header),
        dtype=str,
        keep_default_na=False,
        na_values=list(MISSING_VALUES),
        skiprows=header_line - 1,
        skip_blank_lines=False,
        compression="gzip" if _is_gzip(path) else None,
    )
    columns = [str(c) for c in table.columns]
    shown = ", ".join(repr(c) for c in columns)
    accepted = ", ".join(SYMBOL_COLUMNS)
    if len(columns) < 2:
        raise InputError(
            f"the annotation table has a single column ({shown}); it needs a gene ID column "
            "and a symbol column",
            file=path,
            where="header line",
            fix="put the gene IDs (as in the counts) in the first column and the symbols in a "
            f"column named 'symbol' (accepted names: {accepted}), tab- or comma-separated",
        )
    symbol_column = _find_column(columns[1:], SYMBOL_COLUMNS)
    if symbol_column is None:
        raise InputError(
            f"no gene symbol column in the annotation table (columns: {shown})",
            file=path,
            where="header line",
            fix=f"name the symbol column 'symbol' (accepted names, any case: {accepted}); the "
            "first column must hold the gene IDs used in the counts",
        )
    ids, symbols = table.iloc[:, 0], _clean_symbols(table[symbol_column])
    _check_conflicts(path, ids, symbols, first_data_line=header_line + 1)
    values = {"symbol": symbols}
    biotype_column = _find_column(columns[1:], BIOTYPE_COLUMNS)
    if biotype_column is not None:
        values["biotype"] = _clean_symbols(table[biotype_column])
    return _collapse(ids, values)


def _check_conflicts(path: Path, ids: pd.Series, symbols: pd.Series, first_data_line: int) -> None:
    """Raise when two rows give one (version-stripped) gene ID two different symbols."""
    keep = _valid_ids(ids) & symbols.notna().to_numpy()
    rows = pd.DataFrame(
        {
            "key": strip_version(pd.Index(ids[keep].astype(str).str.strip())),
            "raw": ids[keep].astype(str).str.strip().to_numpy(),
            "symbol": symbols[keep].to_numpy(),
            "line": np.flatnonzero(keep) + first_data_line,
        }
    )
    first = rows.drop_duplicates("key").set_index("key")
    differing = rows[rows["symbol"].to_numpy() != first.loc[rows["key"], "symbol"].to_numpy()]
    if differing.empty:
        return
    clash = differing.iloc[0]
    earlier = first.loc[clash["key"]]
    ids_shown = (
        f"'{clash['key']}'"
        if earlier["raw"] == clash["raw"]
        else f"'{clash['key']}' ('{earlier['raw']}' and '{clash['raw']}' without version)"
    )
    n_ids = differing["key"].nunique()
    raise InputError(
        f"gene ID {ids_shown} has two different symbols: '{earlier['symbol']}' on line "
        f"{earlier['line']} and '{clash['symbol']}' on line {clash['line']} ({n_ids} gene "
        f"ID(s) with conflicting symbols in all)",
        file=path,
        where=f"lines {earlier['line']} and {clash['line']}",
        fix="keep one symbol per gene ID: delete or correct the wrong row (rows repeating the "
        "same ID and symbol are fine)",
    )


class _GtfGenes:
    """What a GTF says about each gene: order, names, biotypes and exons."""

    def __init__(self) -> None:
        self.order: dict[str, None] = {}
        self.gene_line: dict[str, dict[str, str]] = {"symbol": {}, "biotype": {}}
        self.any_line: dict[str, dict[str, str]] = {"symbol": {}, "biotype": {}}
        self.exons: dict[str, list[tuple[str, int, int]]] = {}

    def add(self, fields: list[str]) -> None:
        """Take one 9-field GTF line into account."""
        found = _GTF_GENE_ID.search(fields[8])
        if found is None:
            return
        gene_id = found.group(1)
        self.order.setdefault(gene_id, None)
        if fields[2] == "exon":
            self._add_exon(gene_id, fields)
        is_gene = fields[2] == "gene"
        for key, pattern in (("symbol", _GTF_GENE_NAME), ("biotype", _GTF_BIOTYPE)):
            if not is_gene and gene_id in self.any_line[key]:
                continue  # already known; skip the costly attribute search
            value = pattern.search(fields[8])
            if value is None or not value.group(1).strip():
                continue
            if is_gene:
                self.gene_line[key].setdefault(gene_id, value.group(1))
            self.any_line[key].setdefault(gene_id, value.group(1))

    def _add_exon(self, gene_id: str, fields: list[str]) -> None:
        try:
            exon = (fields[0], int(fields[3]), int(fields[4]))
        except ValueError:
            return
        self.exons.setdefault(gene_id, []).append(exon)

    def values(self, key: str) -> pd.Series:
        """Per gene in order: the ``gene`` line's value, else the first line's, else None."""
        genes, anywhere = self.gene_line[key], self.any_line[key]
        return pd.Series([genes.get(g, anywhere.get(g)) for g in self.order], dtype=object)

    def lengths(self) -> pd.Series:
        """Per gene in order: the exon-union length, NaN without exons."""
        return pd.Series(
            [
                float(exon_union_length(self.exons[g])) if g in self.exons else np.nan
                for g in self.order
            ],
            dtype=np.float64,
        )


def _read_gtf(path: Path) -> pd.DataFrame:
    genes = _GtfGenes()
    with _open_text(path) as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            fields = line.rstrip("\r\n").split("\t", 8)
            if len(fields) == 9:
                genes.add(fields)
    if not genes.any_line["symbol"]:
        raise InputError(
            "the GTF has no gene_name attribute, so it gives no gene symbols",
            file=path,
            where="column 9 (attributes)",
            fix="use a GTF with gene_name attributes (Ensembl or GENCODE GTFs have them), or a "
            "table with a gene ID column then a 'symbol' column",
        )
    values = {"symbol": _clean_symbols(genes.values("symbol"))}
    if genes.any_line["biotype"]:
        values["biotype"] = _clean_symbols(genes.values("biotype"))
    if genes.exons:
        values["length"] = genes.lengths()
    return _collapse(pd.Series(list(genes.order), dtype=object), values)


# ---------------------------------------------------------------------------------------------
# annotating a count matrix
# ---------------------------------------------------------------------------------------------


def annotate(
    gene_ids: pd.Index,
    counts_total: pd.Series,
    annotation: pd.DataFrame | None,
    symbols: pd.Series | None = None,
    source: str | None = None,
    *,
    counts_first: bool = False,
) -> tuple[pd.DataFrame, AnnotationReport]:
    """Give every gene of a count matrix a unique symbol.

    Symbol sources, in order of precedence:

    1. ``annotation`` (from :func:`read_annotation`), matched on ``strip_version(gene_ids)``;
    2. ``symbols`` carried by the counts file itself, for genes the annotation does not name;
    3. the gene ID itself, for genes with no symbol from either.

    With ``counts_first`` the first two swap: the counts file's own symbols win and the
    annotation fills the gaps (the import does so with a bundled table, which is less specific
    to the data than the file's own annotation).

    When ``annotation`` has a ``"biotype"`` column, ``var`` gets one too (NaN for genes the
    annotation does not type).

    Duplicated symbols are made unique by a deterministic rule: among the genes sharing a
    symbol, the one with the largest total count keeps the plain symbol (ties: the smallest gene
    ID in string order); each other one becomes ``"<symbol>_<gene_id>"`` (gene ID as in the
    counts). The rule is reapplied in the unlikely case that a new name collides with an
    existing symbol.

    Logs an INFO summary (:meth:`AnnotationReport.summary`) and, when an annotation was given
    but named fewer than half of the genes, a WARNING naming the ID types of the counts and of
    the annotation (the usual cause is a mismatch, e.g. Entrez IDs against Ensembl IDs).

    Parameters
    ----------
    gene_ids : pandas.Index
        Gene IDs as in the counts; must be unique. Kept unchanged (as strings).
    counts_total : pandas.Series
        Total count of each gene, indexed by ``gene_ids`` (matched as strings).
    annotation : pandas.DataFrame or None
        Indexed by gene ID, with a ``"symbol"`` column; None when there is no annotation.
    symbols : pandas.Series, optional
        Symbols from the counts file, indexed by ``gene_ids``; missing values allowed.
    source : str, optional
        Where the annotation came from (e.g. its path), used in messages.
    counts_first : bool
        Prefer the counts file's symbols to the annotation's.

    Returns
    -------
    var : pandas.DataFrame
        Index: ``gene_ids`` as strings (unnamed), same order; columns ``gene_id`` (the same
        strings), ``symbol`` (unique, never missing) and, when the annotation has biotypes,
        ``biotype`` (strings, NaN where unknown).
    report : AnnotationReport
        Counts of what happened.

    Raises
    ------
    InputError
        If ``gene_ids`` holds duplicates.
    ValueError
        If ``counts_total`` lacks some genes, or ``annotation`` has no ``symbol`` column.
    """
    ids = pd.Index(gene_ids.astype(str), dtype=object)
    _check_unique(ids)
    totals = _align(counts_total, ids, "counts_total")
    known = _lookup(annotation, ids, "symbol")
    own = _clean_symbols(_align(symbols, ids, "symbols", allow_missing=True))
    if counts_first:
        from_counts, from_annotation = own, known.where(own.isna())
    else:
        from_annotation, from_counts = known, own.where(known.isna())
    found = from_annotation.where(from_annotation.notna(), from_counts)
    plain = found.where(found.notna(), pd.Series(ids, index=ids))
    unique, renamed = _make_unique(plain, totals)
    report = AnnotationReport(
        n_genes=len(ids),
        n_annotated=int(found.notna().sum()),
        n_without_symbol=int(found.isna().sum()),
        n_duplicated_symbols=int((plain.value_counts() > 1).sum()),
        n_renamed=int(renamed.sum()),
        examples=tuple(zip(ids[renamed][:N_EXAMPLES], unique[renamed][:N_EXAMPLES], strict=True)),
        n_from_annotation=int(from_annotation.notna().sum()),
        n_from_counts=int(from_counts.notna().sum()),
        source=source,
    )
    logger.info("Gene annotation: %s", report.summary())
    if annotation is not None:
        _warn_if_low_coverage(report, int(known.notna().sum()), ids, annotation)
    var = pd.DataFrame({"gene_id": ids.to_numpy(), "symbol": unique.to_numpy()}, index=ids)
    if annotation is not None and "biotype" in annotation.columns:
        var["biotype"] = _lookup(annotation, ids, "biotype").to_numpy()
    return var, report


def _check_unique(ids: pd.Index) -> None:
    if ids.is_unique:
        return
    repeated = ids[ids.duplicated()].unique()[:N_EXAMPLES]
    raise InputError(
        f"the counts carry duplicated gene IDs (e.g. {', '.join(map(repr, repeated))})",
        where="gene ID column",
        fix="make gene IDs unique in the counts (sum or drop the repeated rows)",
    )


def _align(
    values: pd.Series | None, ids: pd.Index, what: str, allow_missing: bool = False
) -> pd.Series:
    """``values`` re-indexed on ``ids`` (matching as strings)."""
    if values is None:
        return pd.Series(float("nan"), index=ids, dtype=object)
    as_str = pd.Series(values.to_numpy(), index=pd.Index(values.index.astype(str)))
    aligned = as_str.reindex(ids)
    if not allow_missing and aligned.isna().any():
        lacking = ids[aligned.isna().to_numpy()][:N_EXAMPLES]
        raise ValueError(f"{what} has no value for gene(s) {', '.join(lacking)}")
    return aligned


def _clean_symbols(values: pd.Series) -> pd.Series:
    """Strings stripped of whitespace; empty strings and non-strings become NaN."""
    stripped = values.map(lambda s: s.strip() if isinstance(s, str) else None)
    return stripped.where(stripped.map(bool), float("nan")).astype(object)


def _lookup(annotation: pd.DataFrame | None, ids: pd.Index, column: str) -> pd.Series:
    """Annotation ``column`` for ``ids`` (by version-stripped ID), NaN where there is none."""
    if annotation is None:
        return pd.Series(float("nan"), index=ids, dtype=object)
    if column not in annotation.columns:
        raise ValueError(f"annotation must have a {column!r} column (see read_annotation)")
    table = pd.Series(annotation[column].to_numpy(), index=strip_version(annotation.index))
    table = _clean_symbols(table[~table.index.duplicated()])
    found = table.reindex(strip_version(ids))
    return pd.Series(found.to_numpy(), index=ids, dtype=object)


def _make_unique(plain: pd.Series, totals: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Apply the duplicate rule until symbols are unique; returns (symbols, renamed mask)."""
    symbols = plain.copy()
    renamed = pd.Series(False, index=plain.index)
    while symbols.duplicated().any():
        losers = _losers(symbols, totals)
        suffixes = "_" + symbols.index[losers.to_numpy()].to_numpy()
        symbols[losers] = symbols[losers].to_numpy() + suffixes
        renamed |= losers
    return symbols, renamed


def _losers(symbols: pd.Series, totals: pd.Series) -> pd.Series:
    """Genes that lose their symbol: all but the top count (then smallest ID) per symbol."""
    frame = pd.DataFrame(
        {"symbol": symbols.to_numpy(), "total": totals.to_numpy(), "gene": symbols.index}
    )
    ranked = frame.sort_values(["total", "gene"], ascending=[False, True], kind="mergesort")
    lose = ranked["symbol"].duplicated(keep="first").sort_index()
    return pd.Series(lose.to_numpy(), index=symbols.index)


def _warn_if_low_coverage(
    report: AnnotationReport, n_known: int, ids: pd.Index, annotation: pd.DataFrame
) -> None:
    """WARNING when the annotation names under :data:`LOW_COVERAGE` of the genes, with a cause."""
    if report.n_genes == 0 or n_known >= LOW_COVERAGE * report.n_genes:
        return
    counts_type = detect_id_type(ids)
    annotation_type = detect_id_type(annotation.index)
    example = repr(annotation.index[0]) if len(annotation) else "none: it is empty"
    share = n_known / report.n_genes
    origin = f"annotation {report.source}" if report.source else "the annotation"
    if counts_type.kind != annotation_type.kind:
        cause = (
            f"the counts seem to use {counts_type.label} (e.g. {ids[0]!r}) but {origin} "
            f"uses {annotation_type.label} (e.g. {example} in its first column); give "
            f"an annotation whose first column holds {counts_type.label}"
        )
    else:
        cause = (
            f"both the counts and {origin} seem to use {counts_type.label}; check that they "
            "are for the same species and a compatible release"
        )
    logger.warning(
        "Only %d of %d genes (%.1f%%) got a symbol from %s: %s.",
        n_known,
        report.n_genes,
        100 * share,
        origin,
        cause,
    )
