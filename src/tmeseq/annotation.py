"""Gene annotation: map the gene IDs of a count matrix to unique gene symbols.

Three steps, each a public function:

* :func:`strip_version` removes Ensembl version suffixes so that ``ENSG00000141510.17`` in the
  counts matches ``ENSG00000141510`` in an annotation (and vice versa).
* :func:`read_annotation` reads a gene ID -> symbol table (TSV/CSV, plain or gzipped) or a GTF.
* :func:`annotate` builds the ``var`` table of the count matrix: the counts' own gene IDs plus a
  unique symbol per gene, and an :class:`AnnotationReport` saying how well that went.
"""

from __future__ import annotations

import gzip
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from tmeseq.errors import InputError

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

#: Cell values read as "no value" in annotation tables (besides empty cells).
MISSING_VALUES: tuple[str, ...] = ("NA", "N/A", "NaN", "nan", "null", "NULL", "None", "-")

#: Below this fraction of genes matched by the annotation, :func:`annotate` warns.
LOW_COVERAGE = 0.5

#: How many renamed genes :class:`AnnotationReport` keeps as examples.
N_EXAMPLES = 5

_ENSEMBL_VERSIONED = re.compile(r"^(ENS[A-Z]*\d{11})\.\d+(_PAR_Y)?$")
_GTF_GENE_ID = re.compile(r'(?:^|;)\s*gene_id\s+"([^"]*)"')
_GTF_GENE_NAME = re.compile(r'(?:^|;)\s*gene_name\s+"([^"]*)"')
_ID_TYPES: tuple[tuple[str, str], ...] = (
    ("Ensembl", r"^ENS[A-Z]*\d{11}"),
    ("Entrez", r"^\d+$"),
    ("FlyBase", r"^FBgn\d+"),
    ("WormBase", r"^WBGene\d+"),
    ("RefSeq", r"^[NX][MR]_\d+"),
    ("MGI", r"^MGI:\d+"),
    ("HGNC", r"^HGNC:\d+"),
)
_OTHER_ID_TYPE = "non-standard (gene symbols or custom names)"


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


def guess_id_type(gene_ids: pd.Index) -> str:
    """Guess which kind of gene IDs an index holds, by majority.

    Parameters
    ----------
    gene_ids : pandas.Index
        Gene IDs.

    Returns
    -------
    str
        ``"Ensembl"``, ``"Entrez"``, ``"FlyBase"``, ``"WormBase"``, ``"RefSeq"``, ``"MGI"``,
        ``"HGNC"``, or a description of anything else (e.g. gene symbols).
    """
    ids = pd.Series(gene_ids.astype(str))
    if ids.empty:
        return _OTHER_ID_TYPE
    shares = {name: ids.str.match(pattern).mean() for name, pattern in _ID_TYPES}
    best = max(shares, key=lambda name: shares[name])
    return best if shares[best] >= 0.5 else _OTHER_ID_TYPE


# ---------------------------------------------------------------------------------------------
# reading annotation files
# ---------------------------------------------------------------------------------------------


def read_annotation(path: str | Path) -> pd.DataFrame:
    """Read a gene ID -> symbol annotation from a table or a GTF.

    The format is recognised from the content (plain or gzip-compressed, whatever the name):

    * **GTF** when the first non-comment line has 9 tab-separated fields and its attributes carry
      ``gene_id "..."``. The symbol is the ``gene_name`` of the gene's ``gene`` line; a gene
      without a ``gene`` line (or whose ``gene`` line lacks ``gene_name``) takes the first
      ``gene_name`` found on any other line with its ``gene_id``.
    * **Table** otherwise: delimiter sniffed from the header line (tab, then comma, then
      semicolon); the first column is the gene ID whatever its name. The symbol column is the
      first of :data:`SYMBOL_COLUMNS` (``symbol``, ``gene_name``, ``gene_symbol``,
      ``external_gene_name``, ``hgnc_symbol``, ``mgi_symbol``, ``gene name``) present, compared
      case-insensitively (``SYMBOL``, ``Symbol``, ``Gene_Name`` all match); if two columns
      match the same name, the leftmost wins. Empty cells and :data:`MISSING_VALUES` (``NA``
      ...) are missing. The header is the first non-blank line, even if it starts with ``#``
      (the ``#`` is ignored when matching column names); tables take no comment lines.

    Gene IDs are version-stripped (:func:`strip_version`). When an ID occurs more than once, the
    first non-missing symbol in file order is kept (missing if it never has one).

    Parameters
    ----------
    path : str or Path
        The annotation file.

    Returns
    -------
    pandas.DataFrame
        Indexed by unique gene ID (index name ``"gene_id"``, strings, in order of first
        appearance) with one column ``"symbol"`` (strings, NaN where missing).

    Raises
    ------
    InputError
        If the file is missing or empty, is a GFF3, a table lacks a gene ID or symbol column, or
        a GTF has no ``gene_name`` attribute.
    """
    path = Path(path)
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
    return _read_table(path, header=_first_line(path, skip_comments=False) or first)


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
    with _open_text(path) as handle:
        for line in handle:
            if line.strip() and not (skip_comments and line.startswith("#")):
                return line
    return None


def _collapse(ids: pd.Series, symbols: pd.Series) -> pd.DataFrame:
    """One row per version-stripped ID (missing/blank IDs dropped), first non-missing symbol."""
    keep = ids.notna().to_numpy() & (ids.astype(str).str.strip() != "").to_numpy()
    keys = strip_version(pd.Index(ids[keep].astype(str).str.strip()))
    frame = pd.DataFrame({"gene_id": keys, "symbol": _clean_symbols(symbols[keep]).to_numpy()})
    collapsed = frame.groupby("gene_id", sort=False)[["symbol"]].first()
    collapsed["symbol"] = collapsed["symbol"].astype(object)
    collapsed.index = pd.Index(collapsed.index, dtype=object, name="gene_id")
    return collapsed


def _sniff_delimiter(header: str) -> str:
    for delimiter in ("\t", ",", ";"):
        if delimiter in header:
            return delimiter
    return "\t"


def _find_symbol_column(columns: list[str]) -> str | None:
    """The symbol column among ``columns`` (the ID column excluded), by :data:`SYMBOL_COLUMNS`."""
    lowered = [c.strip().lstrip("#").strip().lower() for c in columns]
    for wanted in SYMBOL_COLUMNS:
        if wanted in lowered:
            return columns[lowered.index(wanted)]
    return None


def _read_table(path: Path, header: str) -> pd.DataFrame:
    table = pd.read_csv(
        path,
        sep=_sniff_delimiter(header),
        dtype=str,
        keep_default_na=False,
        na_values=list(MISSING_VALUES),
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
    symbol_column = _find_symbol_column(columns[1:])
    if symbol_column is None:
        raise InputError(
            f"no gene symbol column in the annotation table (columns: {shown})",
            file=path,
            where="header line",
            fix=f"name the symbol column 'symbol' (accepted names, any case: {accepted}); the "
            "first column must hold the gene IDs used in the counts",
        )
    return _collapse(table.iloc[:, 0], table[symbol_column])


def _scan_gtf(lines: Iterator[str]) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Gene IDs in order of appearance, names from ``gene`` lines, first names from any line."""
    from_gene_lines: dict[str, str] = {}
    from_any_line: dict[str, str] = {}
    order: dict[str, None] = {}
    for line in lines:
        if line.startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t", 8)
        found = _GTF_GENE_ID.search(fields[8]) if len(fields) == 9 else None
        if found is None:
            continue
        gene_id = found.group(1)
        order.setdefault(gene_id, None)
        is_gene = fields[2] == "gene"
        if not is_gene and gene_id in from_any_line:
            continue  # already named; skip the costly attribute search
        name = _GTF_GENE_NAME.search(fields[8])
        if name is None or not name.group(1).strip():
            continue
        if is_gene:
            from_gene_lines.setdefault(gene_id, name.group(1))
        from_any_line.setdefault(gene_id, name.group(1))
    return list(order), from_gene_lines, from_any_line


def _read_gtf(path: Path) -> pd.DataFrame:
    with _open_text(path) as handle:
        order, from_gene_lines, from_any_line = _scan_gtf(iter(handle))
    if not from_any_line:
        raise InputError(
            "the GTF has no gene_name attribute, so it gives no gene symbols",
            file=path,
            where="column 9 (attributes)",
            fix="use a GTF with gene_name attributes (Ensembl or GENCODE GTFs have them), or a "
            "table with a gene ID column then a 'symbol' column",
        )
    ids = pd.Series(order, dtype=object)
    symbols = ids.map(lambda g: from_gene_lines.get(g, from_any_line.get(g)))
    return _collapse(ids, symbols)


# ---------------------------------------------------------------------------------------------
# annotating a count matrix
# ---------------------------------------------------------------------------------------------


def annotate(
    gene_ids: pd.Index,
    counts_total: pd.Series,
    annotation: pd.DataFrame | None,
    symbols: pd.Series | None = None,
    source: str | None = None,
) -> tuple[pd.DataFrame, AnnotationReport]:
    """Give every gene of a count matrix a unique symbol.

    Symbol sources, in order of precedence:

    1. ``annotation`` (from :func:`read_annotation`), matched on ``strip_version(gene_ids)``;
    2. ``symbols`` carried by the counts file itself, for genes the annotation does not name;
    3. the gene ID itself, for genes with no symbol from either.

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

    Returns
    -------
    var : pandas.DataFrame
        Index: ``gene_ids`` as strings (unnamed), same order; columns ``gene_id`` (the same
        strings) and ``symbol`` (unique, never missing).
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
    from_annotation = _lookup(annotation, ids)
    from_counts = _align(symbols, ids, "symbols", allow_missing=True)
    from_counts = _clean_symbols(from_counts).where(from_annotation.isna())
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
        _warn_if_low_coverage(report, ids, annotation)
    var = pd.DataFrame({"gene_id": ids.to_numpy(), "symbol": unique.to_numpy()}, index=ids)
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


def _lookup(annotation: pd.DataFrame | None, ids: pd.Index) -> pd.Series:
    """Annotation symbols for ``ids`` (by version-stripped ID), NaN where there is none."""
    if annotation is None:
        return pd.Series(float("nan"), index=ids, dtype=object)
    if "symbol" not in annotation.columns:
        raise ValueError("annotation must have a 'symbol' column (see read_annotation)")
    table = pd.Series(annotation["symbol"].to_numpy(), index=strip_version(annotation.index))
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
    report: AnnotationReport, ids: pd.Index, annotation: pd.DataFrame
) -> None:
    """WARNING when the annotation named under :data:`LOW_COVERAGE` of the genes, with a cause."""
    if report.n_genes == 0 or report.n_from_annotation >= LOW_COVERAGE * report.n_genes:
        return
    counts_type = guess_id_type(ids)
    annotation_type = guess_id_type(annotation.index)
    example = repr(annotation.index[0]) if len(annotation) else "none: it is empty"
    share = report.n_from_annotation / report.n_genes
    origin = f"annotation {report.source}" if report.source else "the annotation"
    if counts_type != annotation_type:
        cause = (
            f"the counts seem to use {counts_type} IDs (e.g. {ids[0]!r}) but {origin} "
            f"uses {annotation_type} IDs (e.g. {example} in its first column); give "
            f"an annotation whose first column holds {counts_type} IDs"
        )
    else:
        cause = (
            f"both the counts and {origin} seem to use {counts_type} IDs; check that they are "
            "for the same species and a compatible release"
        )
    logger.warning(
        "Only %d of %d genes (%.1f%%) got a symbol from %s: %s.",
        report.n_from_annotation,
        report.n_genes,
        100 * share,
        origin,
        cause,
    )
