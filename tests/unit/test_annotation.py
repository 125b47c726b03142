"""Tests for tmeseq.annotation: version stripping, reading annotations (symbols, biotypes, GTF
exon-union lengths, conflicting rows), unique symbols."""

from __future__ import annotations

import dataclasses
import gzip
import logging
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import data_path, requires_shared, shared_path
from tmeseq.annotation import (
    AnnotationReport,
    annotate,
    exon_union_length,
    read_annotation,
    strip_version,
)
from tmeseq.errors import InputError

DATA = data_path("annotation")
# In ../shared only: the Riaz counts carry no licence that allows a copy in the repository.
RIAZ_COUNTS = ("riaz_gse91061", "GSE91061_BMS038109Sample.hg19KnownGene.raw.csv.gz")
HUMAN_MAP = ("annotation", "human_entrez_symbol_ensembl.tsv.gz")
LOGGER = "tmeseq.annotation"


def _write(path: Path, text: str, compress: bool = False) -> Path:
    if compress:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


def _table(ids: list[str], symbols: list[str | None]) -> pd.DataFrame:
    frame = pd.DataFrame({"symbol": symbols}, index=pd.Index(ids, name="gene_id"))
    frame["symbol"] = frame["symbol"].astype(object)
    return frame


def _totals(values: dict[str, float]) -> pd.Series:
    return pd.Series(values, dtype=float)


# --- strip_version ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ENSG00000141510.17", "ENSG00000141510"),
        ("ENSG00000141510", "ENSG00000141510"),
        ("ENSMUSG00000102693.2", "ENSMUSG00000102693"),
        ("ENSDARG00000000001.5", "ENSDARG00000000001"),
        ("ENST00000269305.9", "ENST00000269305"),
        ("ENSG00000182378.14_PAR_Y", "ENSG00000182378_PAR_Y"),
        ("ENSG00000182378_PAR_Y", "ENSG00000182378_PAR_Y"),
        ("7157", "7157"),
        ("TP53", "TP53"),
        ("FBgn0000003", "FBgn0000003"),
        ("gene1", "gene1"),
        ("AC008770.3", "AC008770.3"),
        ("RP11-34P13.7", "RP11-34P13.7"),
        ("Y74C9A.3", "Y74C9A.3"),
        ("NM_000546.6", "NM_000546.6"),
        ("ENSG1.2", "ENSG1.2"),
    ],
)
def test_strip_version_cases(given: str, expected: str) -> None:
    assert strip_version(pd.Index([given]))[0] == expected


def test_strip_version_keeps_order_and_name_and_returns_strings() -> None:
    ids = pd.Index([7157, 3458], name="entrez")
    out = strip_version(ids)
    assert list(out) == ["7157", "3458"]
    assert out.name == "entrez"


def test_strip_version_keeps_par_y_distinct_from_x_copy() -> None:
    out = strip_version(pd.Index(["ENSG00000182378.14", "ENSG00000182378.14_PAR_Y"]))
    assert list(out) == ["ENSG00000182378", "ENSG00000182378_PAR_Y"]
    assert out.is_unique


# --- read_annotation: tables -----------------------------------------------------------------


@pytest.mark.parametrize(
    "column", ["symbol", "gene_name", "SYMBOL", "Symbol", "gene_symbol", "Gene_Name"]
)
def test_read_table_finds_each_symbol_column_spelling(tmp_path: Path, column: str) -> None:
    path = _write(tmp_path / "ann.tsv", f"id\tother\t{column}\n7157\tx\tTP53\n3458\ty\tIFNG\n")
    ann = read_annotation(path)
    assert ann.index.name == "gene_id"
    assert list(ann.columns) == ["symbol"]
    assert ann["symbol"].to_dict() == {"7157": "TP53", "3458": "IFNG"}


def test_read_table_symbol_column_precedence(tmp_path: Path) -> None:
    text = "id\tgene_name\tSymbol\n7157\tname_col\tsymbol_col\n"
    ann = read_annotation(_write(tmp_path / "ann.tsv", text))
    assert ann.loc["7157", "symbol"] == "symbol_col"


def test_read_table_first_column_is_the_id_whatever_its_name(tmp_path: Path) -> None:
    ann = read_annotation(_write(tmp_path / "a.tsv", "symbol\tgene_name\nX1\tFOO\n"))
    assert ann["symbol"].to_dict() == {"X1": "FOO"}


def test_read_table_with_hash_header_and_biomart_names(tmp_path: Path) -> None:
    text = "#Gene stable ID\tGene name\nENSG00000141510\tTP53\n"
    ann = read_annotation(_write(tmp_path / "mart.txt", text))
    assert ann["symbol"].to_dict() == {"ENSG00000141510": "TP53"}


def test_read_csv_table(tmp_path: Path) -> None:
    path = _write(tmp_path / "ann.csv", "gene_id,symbol\n7157,TP53\n5551,PRF1\n")
    assert read_annotation(path)["symbol"].to_dict() == {"7157": "TP53", "5551": "PRF1"}


@pytest.mark.parametrize("name", ["ann.tsv.gz", "ann.tsv"])
def test_read_gzipped_table_detected_by_content(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path / name, "gene_id\tsymbol\n3002\tGZMB\n", compress=True)
    assert read_annotation(path)["symbol"].to_dict() == {"3002": "GZMB"}


def test_read_table_fixture_with_conflicting_rows_is_refused() -> None:
    # the fixture gives ENSG00000100453 the symbols GZMB (line 6) and GZMB_other (line 7)
    with pytest.raises(InputError) as caught:
        read_annotation(DATA / "ensembl_symbols.tsv")
    message = str(caught.value)
    assert message.startswith(f"{DATA / 'ensembl_symbols.tsv'}, lines 6 and 7: ")
    assert (
        "gene ID 'ENSG00000100453' has two different symbols: 'GZMB' on line 6 and "
        "'GZMB_other' on line 7 (1 gene ID(s) with conflicting symbols in all)"
    ) in message
    assert "How to fix: keep one symbol per gene ID" in message
    assert message.count("GZMB_other") == 1


def test_read_table_fixture_strips_versions_dedups_and_marks_missing(tmp_path: Path) -> None:
    lines = (DATA / "ensembl_symbols.tsv").read_text().splitlines(keepends=True)
    ann = read_annotation(_write(tmp_path / "ann.tsv", "".join(lines[:6] + lines[7:])))
    assert list(ann.index) == [
        "ENSG00000141510",
        "ENSG00000111537",
        "ENSG00000180644",
        "ENSG00000100453",
        "ENSG00000290825",
        "ENSG00000182378_PAR_Y",
    ]
    assert ann.loc["ENSG00000141510", "symbol"] == "TP53"
    # repeated ID: the first non-empty symbol wins (an empty cell comes first here)
    assert ann.loc["ENSG00000180644", "symbol"] == "PRF1"
    assert ann.loc["ENSG00000100453", "symbol"] == "GZMB"
    assert pd.isna(ann.loc["ENSG00000290825", "symbol"])  # "NA" in the file
    assert ann.index.is_unique
    # the gene_biotype column is taken too
    assert list(ann.columns) == ["symbol", "biotype"]
    assert ann.loc["ENSG00000290825", "biotype"] == "lncRNA"


def test_conflict_across_versions_names_both_ids_and_blank_lines_count(tmp_path: Path) -> None:
    text = "\ngene_id,symbol\nENSG00000141510.17,TP53\n\nENSG00000111537,IFNG\n"
    text += "ENSG00000141510.18,Tp53\n"
    with pytest.raises(InputError) as caught:
        read_annotation(_write(tmp_path / "ann.csv", text))
    message = str(caught.value)
    assert caught.value.where == "lines 3 and 6"
    assert (
        "gene ID 'ENSG00000141510' ('ENSG00000141510.17' and 'ENSG00000141510.18' without "
        "version) has two different symbols: 'TP53' on line 3 and 'Tp53' on line 6"
    ) in message


def test_repeated_rows_with_one_symbol_or_a_missing_one_are_fine(tmp_path: Path) -> None:
    text = "gene_id\tsymbol\n7157\tTP53\n7157\t TP53 \n7157\tNA\n3458\t\n3458\tIFNG\n"
    ann = read_annotation(_write(tmp_path / "ann.tsv", text))
    assert ann["symbol"].to_dict() == {"7157": "TP53", "3458": "IFNG"}


def test_conflicts_are_counted(tmp_path: Path) -> None:
    text = "id\tsymbol\n1\tA\n2\tB\n1\tA2\n2\tB2\n2\tB3\n"
    with pytest.raises(InputError, match=r"'A' on line 2 and 'A2' on line 4 \(2 gene ID"):
        read_annotation(_write(tmp_path / "ann.tsv", text))


@pytest.mark.parametrize("column", ["biotype", "gene_biotype", "Gene_Type", "gene type"])
def test_read_table_biotype_column(tmp_path: Path, column: str) -> None:
    text = f"id\tsymbol\t{column}\n7157\tTP53\tprotein_coding\n3458\tIFNG\t\n"
    ann = read_annotation(_write(tmp_path / "ann.tsv", text))
    assert ann.loc["7157", "biotype"] == "protein_coding"
    assert pd.isna(ann.loc["3458", "biotype"])


def test_read_table_without_symbol_column_raises_helpful_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.tsv", "gene_id\tdescription\n7157\ttumour protein p53\n")
    with pytest.raises(InputError) as caught:
        read_annotation(path)
    message = str(caught.value)
    assert str(path) in message
    assert "no gene symbol column" in message
    assert "'gene_id', 'description'" in message
    assert "How to fix" in message
    assert "'symbol'" in message and "gene_name" in message
    assert caught.value.where == "header line"


def test_read_single_column_table_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="single column"):
        read_annotation(_write(tmp_path / "one.txt", "gene_id\n7157\n"))


def test_read_empty_or_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty"):
        read_annotation(_write(tmp_path / "empty.tsv", "\n"))
    with pytest.raises(InputError, match="not found"):
        read_annotation(tmp_path / "nope.tsv")


def test_read_gff3_is_refused(tmp_path: Path) -> None:
    text = "##gff-version 3\nchr1\t.\tgene\t1\t9\t.\t+\t.\tID=gene:ENSG1;Name=FOO\n"
    with pytest.raises(InputError, match="GFF3"):
        read_annotation(_write(tmp_path / "a.gff3", text))


# --- read_annotation: GTF --------------------------------------------------------------------


def test_read_gtf_fixture() -> None:
    ann = read_annotation(DATA / "mini.gtf")
    assert ann.index.name == "gene_id"
    assert list(ann.index) == [
        "ENSG00000141510",
        "ENSG00000111537",
        "ENSG00000182378",
        "ENSG00000182378_PAR_Y",
        "ENSG00000290825",
        "ENSG00000230021",
    ]
    assert ann.loc["ENSG00000141510", "symbol"] == "TP53"
    assert ann.loc["ENSG00000111537", "symbol"] == "IFNG"  # no gene line: from transcript
    assert ann.loc["ENSG00000182378", "symbol"] == "PLCXD1"
    assert ann.loc["ENSG00000182378_PAR_Y", "symbol"] == "PLCXD1"
    assert pd.isna(ann.loc["ENSG00000290825", "symbol"])  # no gene_name anywhere
    assert ann.loc["ENSG00000230021", "symbol"] == "AL669831.3"
    assert ann.loc["ENSG00000290825", "biotype"] == "lncRNA"  # gene_type
    # exon-union lengths: TP53's two exons (162 + 102 bp), IFNG's one; no exons: NaN
    assert ann["length"].dtype == "float64"
    assert ann.loc["ENSG00000141510", "length"] == 264.0
    assert ann.loc["ENSG00000111537", "length"] == 120.0
    assert ann["length"].isna().sum() == 4


def _exon(gene: str, transcript: str, start: int, end: int, chrom: str = "chr1") -> str:
    attrs = f'gene_id "{gene}"; transcript_id "{transcript}"; gene_name "{gene}_name";'
    return f"{chrom}\tsrc\texon\t{start}\t{end}\t.\t+\t.\t{attrs}\n"


def test_gtf_exon_union_length_merges_overlapping_exons_of_all_transcripts(
    tmp_path: Path,
) -> None:
    text = (
        'chr1\tsrc\tgene\t100\t720\t.\t+\t.\tgene_id "G1"; gene_name "ONE"; '
        'gene_biotype "protein_coding";\n'
        + _exon("G1", "T1", 100, 200)
        + _exon("G1", "T1", 300, 400)
        + _exon("G1", "T2", 150, 250)  # overlaps T1's first exon
        + _exon("G1", "T2", 390, 500)  # overlaps T1's second exon
        + _exon("G1", "T3", 600, 600)  # one base
        + _exon("G1", "T3", 700, 710)
        + _exon("G1", "T4", 711, 720)  # adjacent, not overlapping
        + _exon("G1", "T4", 120, 180)  # inside T1's first exon
        + _exon("G2", "T5", 1000, 1099)
        + _exon("G2", "T5", 1000, 1099, chrom="chr2")  # same span on another chromosome
    )
    ann = read_annotation(_write(tmp_path / "a.gtf", text))
    # union: 100-250 (151) + 300-500 (201) + 600 (1) + 700-720 (21) = 374
    assert ann.loc["G1", "length"] == 374.0
    assert ann.loc["G2", "length"] == 200.0
    assert ann.loc["G1", "symbol"] == "ONE"
    assert ann.loc["G1", "biotype"] == "protein_coding"
    assert pd.isna(ann.loc["G2", "biotype"])


@pytest.mark.parametrize(
    ("exons", "expected"),
    [
        ([], 0),
        ([("1", 10, 10)], 1),
        ([("1", 1, 10), ("1", 5, 20), ("1", 30, 40)], 31),
        ([("1", 1, 100), ("1", 10, 20)], 100),
        ([("1", 1, 10), ("2", 1, 10)], 20),
        ([("1", 30, 40), ("1", 1, 10), ("1", 11, 12)], 23),
    ],
)
def test_exon_union_length(exons: list[tuple[str, int, int]], expected: int) -> None:
    assert exon_union_length(exons) == expected


def test_read_gtf_gzipped(tmp_path: Path) -> None:
    path = _write(tmp_path / "mini.gtf.gz", (DATA / "mini.gtf").read_text(), compress=True)
    pd.testing.assert_frame_equal(read_annotation(path), read_annotation(DATA / "mini.gtf"))


def test_read_gtf_gene_line_name_wins_over_other_lines(tmp_path: Path) -> None:
    attrs = 'gene_id "G1"; transcript_id "T1"; gene_name "FROM_TRANSCRIPT";'
    text = (
        f"chr1\tsrc\ttranscript\t1\t100\t.\t+\t.\t{attrs}\n"
        'chr1\tsrc\tgene\t1\t100\t.\t+\t.\tgene_id "G1"; gene_name "FROM_GENE";\n'
    )
    assert read_annotation(_write(tmp_path / "a.gtf", text)).loc["G1", "symbol"] == "FROM_GENE"


def test_read_gtf_without_gene_name_raises(tmp_path: Path) -> None:
    text = 'chr1\tsrc\tgene\t1\t100\t.\t+\t.\tgene_id "G1"; gene_biotype "lncRNA";\n'
    with pytest.raises(InputError, match="gene_name"):
        read_annotation(_write(tmp_path / "a.gtf", text))


# --- annotate --------------------------------------------------------------------------------


def test_annotate_keeps_ids_and_uses_id_when_no_symbol() -> None:
    ids = pd.Index(["ENSG00000141510.17", "ENSG00000111537.5", "ENSG00000999999.1"])
    ann = _table(["ENSG00000141510", "ENSG00000111537"], ["TP53", "IFNG"])
    totals = _totals(dict.fromkeys(ids, 10.0))
    var, report = annotate(ids, totals, ann)
    assert list(var.index) == list(ids)
    assert list(var.columns) == ["gene_id", "symbol"]
    assert list(var["gene_id"]) == list(ids)
    assert list(var["symbol"]) == ["TP53", "IFNG", "ENSG00000999999.1"]
    assert (report.n_genes, report.n_annotated, report.n_without_symbol) == (3, 2, 1)
    assert (report.n_duplicated_symbols, report.n_renamed, report.examples) == (0, 0, ())


def test_annotate_integer_ids_become_strings() -> None:
    ids = pd.Index([7157, 3458])
    var, _ = annotate(ids, pd.Series([1, 2], index=ids), _table(["7157"], ["TP53"]))
    assert list(var.index) == ["7157", "3458"]
    assert list(var["symbol"]) == ["TP53", "3458"]


def test_duplicate_rule_highest_count_keeps_symbol() -> None:
    ids = pd.Index(["g1", "g2", "g3", "g4"])
    ann = _table(list(ids), ["HBD", "HBD", "HBD", "MEMO1"])
    totals = _totals({"g1": 5, "g2": 50, "g3": 7, "g4": 1})
    var, report = annotate(ids, totals, ann)
    assert list(var["symbol"]) == ["HBD_g1", "HBD", "HBD_g3", "MEMO1"]
    assert var["symbol"].is_unique
    assert report.n_duplicated_symbols == 1
    assert report.n_renamed == 2
    assert report.examples == (("g1", "HBD_g1"), ("g3", "HBD_g3"))


def test_duplicate_rule_tie_goes_to_smallest_id_in_string_order() -> None:
    ids = pd.Index(["ENSG10", "ENSG9", "ENSG2"])  # string order: ENSG10 < ENSG2 < ENSG9
    ann = _table(list(ids), ["X", "X", "X"])
    var, report = annotate(ids, _totals(dict.fromkeys(ids, 3.0)), ann)
    assert var["symbol"].to_dict() == {"ENSG10": "X", "ENSG9": "X_ENSG9", "ENSG2": "X_ENSG2"}
    assert report.n_renamed == 2


def test_duplicate_rule_counts_symbol_shared_with_an_unannotated_id() -> None:
    ids = pd.Index(["FOO", "e1"])  # "FOO" has no symbol and keeps its ID, e1 is named FOO
    var, report = annotate(ids, _totals({"FOO": 1, "e1": 9}), _table(["e1"], ["FOO"]))
    assert var["symbol"].to_dict() == {"FOO": "FOO_FOO", "e1": "FOO"}
    assert (report.n_duplicated_symbols, report.n_renamed) == (1, 1)


def test_duplicate_rule_is_reapplied_on_collisions() -> None:
    ids = pd.Index(["a", "b", "c"])
    ann = _table(list(ids), ["S", "S", "S_b"])  # renaming b to S_b collides with c
    var, _ = annotate(ids, _totals({"a": 9, "b": 5, "c": 1}), ann)
    assert var["symbol"].is_unique
    assert var["symbol"].to_dict() == {"a": "S", "b": "S_b", "c": "S_b_c"}


def test_counts_symbols_fill_gaps_and_annotation_wins() -> None:
    ids = pd.Index(["1", "2", "3", "4"])
    ann = _table(["1", "2"], ["ANN1", "ANN2"])
    own = pd.Series({"1": "OWN1", "3": "OWN3", "4": "  "})
    var, report = annotate(ids, _totals(dict.fromkeys(ids, 1.0)), ann, symbols=own)
    assert list(var["symbol"]) == ["ANN1", "ANN2", "OWN3", "4"]
    assert (report.n_annotated, report.n_from_annotation, report.n_from_counts) == (3, 2, 1)
    assert report.n_without_symbol == 1


def test_counts_first_lets_the_file_symbols_win() -> None:
    ids = pd.Index(["1", "2", "3"])
    ann = _table(["1", "2"], ["ANN1", "ANN2"])
    own = pd.Series({"1": "OWN1", "3": None})
    var, report = annotate(
        ids, _totals(dict.fromkeys(ids, 1.0)), ann, symbols=own, counts_first=True
    )
    assert list(var["symbol"]) == ["OWN1", "ANN2", "3"]
    assert (report.n_from_counts, report.n_from_annotation) == (1, 1)


def test_biotype_column_follows_the_annotation() -> None:
    ids = pd.Index(["ENSG00000141510.17", "ENSG00000999999"])
    ann = _table(["ENSG00000141510"], ["TP53"])
    ann["biotype"] = ["protein_coding"]
    var, _ = annotate(ids, _totals(dict.fromkeys(ids, 1.0)), ann)
    assert list(var.columns) == ["gene_id", "symbol", "biotype"]
    assert var["biotype"].iloc[0] == "protein_coding"
    assert pd.isna(var["biotype"].iloc[1])


def test_counts_symbols_alone() -> None:
    ids = pd.Index(["1", "2"])
    own = pd.Series(["TP53", None], index=ids)
    var, report = annotate(ids, _totals({"1": 1, "2": 1}), None, symbols=own)
    assert list(var["symbol"]) == ["TP53", "2"]
    assert (report.n_from_counts, report.n_from_annotation) == (1, 0)


def test_annotate_with_gtf_fixture_matches_versioned_ids() -> None:
    ann = read_annotation(DATA / "mini.gtf")
    ids = pd.Index(["ENSG00000182378.14", "ENSG00000182378.14_PAR_Y", "ENSG00000141510.17"])
    var, report = annotate(ids, _totals({ids[0]: 100, ids[1]: 0, ids[2]: 3}), ann)
    assert list(var["symbol"]) == ["PLCXD1", "PLCXD1_ENSG00000182378.14_PAR_Y", "TP53"]
    assert report.n_renamed == 1


def test_annotate_rejects_duplicated_gene_ids() -> None:
    ids = pd.Index(["a", "a"])
    with pytest.raises(InputError, match="duplicated gene IDs"):
        annotate(ids, pd.Series([1, 2], index=["x", "y"]), None)


def test_annotate_rejects_totals_missing_genes() -> None:
    with pytest.raises(ValueError, match="counts_total"):
        annotate(pd.Index(["a", "b"]), _totals({"a": 1}), None)


def test_report_is_frozen_and_summarises() -> None:
    ids = pd.Index(["g1", "g2", "g3"])
    _, report = annotate(
        ids, _totals({"g1": 1, "g2": 2, "g3": 0}), _table(["g1", "g2"], ["A", "A"]), source="m.tsv"
    )
    assert isinstance(report, AnnotationReport)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.n_genes = 0  # type: ignore[misc]
    assert report.summary() == (
        "3 genes: 2 with a symbol (2 from annotation m.tsv, 0 from the counts file), 1 kept "
        "their ID; 1 symbols shared by >1 gene, 1 genes renamed (e.g. g1 -> A_g1)"
    )


def test_info_summary_logged(caplog: pytest.LogCaptureFixture) -> None:
    ids = pd.Index(["1"])
    with caplog.at_level(logging.INFO, logger=LOGGER):
        annotate(ids, _totals({"1": 1}), _table(["1"], ["TP53"]))
    infos = [r for r in caplog.records if r.levelno == logging.INFO and r.name == LOGGER]
    assert len(infos) == 1
    assert "1 genes: 1 with a symbol" in infos[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_warning_on_low_coverage_names_id_types(caplog: pytest.LogCaptureFixture) -> None:
    ids = pd.Index(["ENSG00000141510.17", "ENSG00000111537.5", "ENSG00000180644.8"])
    ann = _table(["7157", "3458", "5551"], ["TP53", "IFNG", "PRF1"])
    with caplog.at_level(logging.INFO, logger=LOGGER):
        _, report = annotate(ids, _totals(dict.fromkeys(ids, 1.0)), ann, source="map.tsv")
    assert report.n_from_annotation == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "0 of 3 genes" in warnings[0]
    assert "map.tsv" in warnings[0]
    assert "counts seem to use human Ensembl gene IDs" in warnings[0]
    assert "uses Entrez (NCBI Gene) IDs" in warnings[0]


def test_warning_names_the_other_species(caplog: pytest.LogCaptureFixture) -> None:
    ids = pd.Index(["ENSMUSG00000055170", "ENSMUSG00000053044"])
    ann = _table(["ENSG00000111537", "ENSG00000172116"], ["IFNG", "CD8B"])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        annotate(ids, _totals(dict.fromkeys(ids, 1.0)), ann)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "mouse Ensembl gene IDs" in warning and "uses human Ensembl gene IDs" in warning


def test_warning_on_low_coverage_with_matching_id_types(caplog: pytest.LogCaptureFixture) -> None:
    ids = pd.Index(["1", "2", "3"])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        annotate(ids, _totals(dict.fromkeys(ids, 1.0)), _table(["1", "99"], ["A", "B"]))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "1 of 3 genes" in warnings[0]
    assert "both the counts and the annotation seem to use Entrez (NCBI Gene) IDs" in warnings[0]


def test_no_warning_without_annotation(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        annotate(pd.Index(["1"]), _totals({"1": 1}), None)
    assert not caplog.records


# --- real data -------------------------------------------------------------------------------


@requires_shared(*RIAZ_COUNTS)
@requires_shared(*HUMAN_MAP)
def test_riaz_entrez_counts_get_symbols() -> None:
    counts = pd.read_csv(shared_path(*RIAZ_COUNTS), index_col=0)
    human_map = shared_path(*HUMAN_MAP)
    ann = read_annotation(human_map)
    assert ann.shape == (77614, 1)
    var, report = annotate(counts.index, counts.sum(axis=1), ann, source=human_map.name)
    expected = {"7157": "TP53", "3458": "IFNG", "5551": "PRF1", "3002": "GZMB", "29126": "CD274"}
    assert var.loc[list(expected), "symbol"].to_dict() == expected
    assert report.n_genes == 22187
    # measured: 22069 of 22187 (99.5%) Entrez IDs named by org.Hs.eg.db 3.16
    assert report.n_annotated / report.n_genes > 0.98
    assert report.n_annotated == report.n_from_annotation
    assert var["symbol"].is_unique
    assert list(var.index) == [str(i) for i in counts.index]
