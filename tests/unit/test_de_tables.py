"""Tests for the differential-expression tables and files (tmeseq.de_tables)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from tmeseq import de_tables
from tmeseq.de_tables import RESULT_COLUMNS, SHRUNK_COLUMNS

N_GENES = 80
AWKWARD = ["H2-Aa", "Il2ra", "Cd8$a", "Gzm_b", "Ifng", "Prf1", None, "Cd274", "$x$", "A_b$"]
UP = [f"ENSMUSG{i:05d}" for i in range(0, 5)]
DOWN = [f"ENSMUSG{i:05d}" for i in range(5, 9)]
OUTLIERS = [f"ENSMUSG{i:05d}" for i in range(9, 12)]
ALL_ZERO = [f"ENSMUSG{i:05d}" for i in range(12, 14)]
LOW_COUNTS = [f"ENSMUSG{i:05d}" for i in range(14, 20)]
FILTERED = [f"ENSMUSG{i:05d}" for i in range(20, 23)]
TIED = ("ENSMUSG00030", "ENSMUSG00031")


def build_inputs(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Results, annotation and shrunken estimates with known gene classes.

    5 genes up and 4 down (padj < 0.05), 3 Cook's outliers (no p-value, baseMean > 0),
    2 all-zero genes, 6 independently filtered genes (p-value, no padj), 3 genes missing
    from the results (pre-filtered), 2 genes with tied p-values; the rest have padj >= 0.1.
    """
    rng = np.random.default_rng(seed)
    ids = [f"ENSMUSG{i:05d}" for i in range(N_GENES)]
    symbols = AWKWARD + [f"Gene{i}" for i in range(len(AWKWARD), N_GENES)]
    order = rng.permutation(N_GENES)
    var = pd.DataFrame(
        {"gene_id": np.array(ids)[order], "symbol": np.array(symbols, dtype=object)[order]},
        index=pd.Index(np.array(ids)[order], name="gene"),
    )
    results = pd.DataFrame(
        {
            "baseMean": rng.lognormal(5, 1, N_GENES),
            "log2FoldChange": rng.normal(0, 0.4, N_GENES),
            "lfcSE": rng.uniform(0.1, 0.5, N_GENES),
            "pvalue": rng.uniform(0.02, 1.0, N_GENES),
            "padj": rng.uniform(0.1, 1.0, N_GENES),
        },
        index=ids,
    )
    results.loc[UP, "log2FoldChange"] = [2.0, 3.5, 1.2, 0.2, 4.0]
    results.loc[DOWN, "log2FoldChange"] = [-2.5, -1.1, -3.0, -0.3]
    significant = UP + DOWN
    results.loc[significant, "pvalue"] = np.geomspace(1e-12, 1e-3, len(significant))
    results.loc[significant, "padj"] = np.geomspace(1e-10, 1e-2, len(significant))
    results.loc[OUTLIERS, ["pvalue", "padj"]] = np.nan
    results.loc[ALL_ZERO, ["baseMean", "log2FoldChange", "pvalue", "padj"]] = [0.0] + [np.nan] * 3
    results.loc[LOW_COUNTS, "padj"] = np.nan
    results.loc[list(TIED), "pvalue"] = 0.5
    results["stat"] = results["log2FoldChange"] / results["lfcSE"]
    results = results.drop(index=FILTERED)[list(de_tables.STAT_COLUMNS)]
    shrunk = pd.DataFrame(
        {"log2FoldChange": results["log2FoldChange"] * 0.7, "lfcSE": results["lfcSE"] * 0.9}
    ).sample(frac=1.0, random_state=1)
    return results, var, shrunk


@pytest.fixture
def inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return build_inputs()


@pytest.fixture
def table(inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    results, var, shrunk = inputs
    return de_tables.results_table(results, var, shrunk)


# --- results_table -------------------------------------------------------------------------


def test_columns_and_types_with_and_without_shrinkage(
    inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    results, var, shrunk = inputs
    plain = de_tables.results_table(results.astype("float32"), var)
    assert tuple(plain.columns) == RESULT_COLUMNS
    full = de_tables.results_table(results, var, shrunk)
    assert tuple(full.columns) == RESULT_COLUMNS + SHRUNK_COLUMNS
    for frame in (plain, full):
        numeric = frame.columns[2:]
        assert (frame[numeric].dtypes == np.float64).all()
        assert len(frame) == N_GENES
        assert sorted(frame["gene_id"]) == sorted(var["gene_id"])
        assert frame.index.equals(pd.RangeIndex(N_GENES))


def test_rows_sorted_by_pvalue_missing_last_ties_by_gene_id(table: pd.DataFrame) -> None:
    tested = table["pvalue"].notna()
    n_tested = N_GENES - len(OUTLIERS) - len(ALL_ZERO) - len(FILTERED)
    assert tested.iloc[:n_tested].all()
    assert not tested.iloc[n_tested:].any()
    assert table["pvalue"].iloc[:n_tested].is_monotonic_increasing
    missing_ids = table["gene_id"].iloc[n_tested:].tolist()
    assert missing_ids == sorted(OUTLIERS + ALL_ZERO + FILTERED)
    tied = table.index[table["gene_id"].isin(TIED)].tolist()
    assert table.loc[tied, "gene_id"].tolist() == list(TIED)
    assert tied[1] == tied[0] + 1
    assert table["gene_id"].iloc[:5].tolist() == (UP + DOWN)[:5]


def test_values_follow_their_gene(
    table: pd.DataFrame, inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
) -> None:
    results, _, shrunk = inputs
    by_gene = table.set_index("gene_id")
    for gene in ("ENSMUSG00000", "ENSMUSG00003", "ENSMUSG00050"):
        for column in de_tables.STAT_COLUMNS:
            assert by_gene.loc[gene, column] == results.loc[gene, column]
        assert by_gene.loc[gene, "log2FoldChange_shrunk"] == shrunk.loc[gene, "log2FoldChange"]
        assert by_gene.loc[gene, "lfcSE_shrunk"] == shrunk.loc[gene, "lfcSE"]
    assert by_gene.loc["ENSMUSG00000", "symbol"] == "H2-Aa"
    assert by_gene.loc["ENSMUSG00002", "symbol"] == "Cd8$a"
    missing = by_gene.loc["ENSMUSG00006", "symbol"]
    assert isinstance(missing, float) and np.isnan(missing)


def test_genes_missing_from_results_are_kept_with_na(table: pd.DataFrame) -> None:
    filtered = table.loc[table["gene_id"].isin(FILTERED)]
    assert len(filtered) == len(FILTERED)
    assert filtered.iloc[:, 2:].isna().all().all()


def test_rejects_genes_outside_the_annotation(
    inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    results, var, shrunk = inputs
    with pytest.raises(ValueError, match=r"1 gene\(s\) missing from the gene annotation"):
        de_tables.results_table(results, var.drop(index="ENSMUSG00040"))
    with pytest.raises(ValueError, match="shrunken estimates"):
        de_tables.results_table(results, var, shrunk.rename(index={"ENSMUSG00040": "X"}))


def test_rejects_missing_columns_and_repeated_genes(
    inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    results, var, _ = inputs
    with pytest.raises(ValueError, match="lacks column"):
        de_tables.results_table(results.drop(columns="stat"), var)
    with pytest.raises(ValueError, match="more than once"):
        de_tables.results_table(pd.concat([results, results.iloc[:1]]), var)
    with pytest.raises(ValueError, match="symbol"):
        de_tables.results_table(results, var.drop(columns="symbol"))


# --- summary_table -------------------------------------------------------------------------


def test_summary_counts_are_exact(table: pd.DataFrame) -> None:
    summary = de_tables.summary_table({"b_vs_a": table, "again": table.iloc[::-1]}, alpha=0.05)
    assert tuple(summary.columns) == de_tables.SUMMARY_COLUMNS
    assert summary["contrast"].tolist() == ["b_vs_a", "again"]
    row = summary.iloc[0]
    assert row["n_genes"] == N_GENES
    assert row["n_tested"] == N_GENES - len(OUTLIERS + ALL_ZERO + FILTERED)
    assert (row["n_up"], row["n_down"]) == (len(UP), len(DOWN))
    assert row["n_outliers"] == len(OUTLIERS)
    assert row["n_low_counts"] == len(LOW_COUNTS)
    assert row["alpha"] == 0.05
    assert summary.iloc[1, 1:].equals(summary.iloc[0, 1:])
    assert (summary.dtypes.iloc[1:7] == np.int64).all()


def test_summary_alpha_and_fold_change_threshold(table: pd.DataFrame) -> None:
    strict = de_tables.summary_table({"c": table}, alpha=1e-8, lfc_threshold=0.0).iloc[0]
    padj = np.geomspace(1e-10, 1e-2, len(UP + DOWN))
    assert strict["n_up"] + strict["n_down"] == int((padj < 1e-8).sum())
    big = de_tables.summary_table({"c": table}, alpha=0.05, lfc_threshold=1.0).iloc[0]
    assert (big["n_up"], big["n_down"]) == (4, 3)
    assert big["lfc_threshold"] == 1.0
    with pytest.raises(ValueError, match="alpha"):
        de_tables.summary_table({"c": table}, alpha=1.5)


# --- files ---------------------------------------------------------------------------------


def test_tsv_round_trips_exactly(table: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "de" / "b_vs_a.tsv"
    de_tables.write_results_tsv(table, path)
    text = path.read_text()
    assert text.splitlines()[0].split("\t") == list(RESULT_COLUMNS + SHRUNK_COLUMNS)
    assert "\tNA\t" in text
    assert "nan" not in text.lower().replace("gene", "")
    back = pd.read_csv(
        path, sep="\t", dtype={"gene_id": str, "symbol": object}, float_precision="round_trip"
    )
    pd.testing.assert_frame_equal(back, table, check_exact=True)
    first = path.read_bytes()
    de_tables.write_results_tsv(table, path)
    assert path.read_bytes() == first
    assert sorted(p.name for p in path.parent.iterdir()) == ["b_vs_a.tsv"]


def test_tsv_rejects_other_columns(table: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must have columns"):
        de_tables.write_results_tsv(table.drop(columns="stat"), tmp_path / "x.tsv")


def test_sheet_names_are_valid_unique_and_deterministic() -> None:
    long = "nktr214_high_dose_vs_chemotherapy_day_21"
    names = de_tables.sheet_names(
        [long, long + "_b", "a/b:c", "Summary", "'quoted'", "A/B:C", "", "x" * 40, "x" * 41]
    )
    assert names[long] == long[:31]
    assert names[long + "_b"] == long[:29] + "~2"
    assert names["a/b:c"] == "a_b_c"
    assert names["Summary"] == "Summary~2"
    assert names["'quoted'"] == "quoted"
    assert names["A/B:C"] == "A_B_C~2"
    assert names[""] == "contrast"
    assert names["x" * 40] == "x" * 31
    assert names["x" * 41] == "x" * 29 + "~2"
    values = list(names.values())
    assert all(1 <= len(v) <= 31 and not set(v) & set("[]:*?/\\") for v in values)
    assert len({v.casefold() for v in values}) == len(values)
    assert de_tables.sheet_names(list(names)) == names


def test_workbook_round_trips(table: pd.DataFrame, tmp_path: Path) -> None:
    long = "nktr214_high_dose_vs_chemotherapy_day_21"
    tables = {long: table, long + "_late": table.iloc[:10], "a[1]": table.iloc[:0]}
    summary = de_tables.summary_table(tables, alpha=0.05)
    path = tmp_path / "out" / "de.xlsx"
    de_tables.write_workbook(tables, summary, path)

    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["summary", long[:31], long[:29] + "~2", "a_1_"]
    # Excel stores 0.0 as a number without a type: the threshold reads back as an integer.
    pd.testing.assert_frame_equal(sheets["summary"], summary, check_dtype=False)
    assert [len(frame) for frame in sheets.values()] == [3, N_GENES, 10, 0]
    back = sheets[long[:31]]
    assert list(back.columns) == list(table.columns)
    # openpyxl writes 16 significant digits; the TSV is the exact copy.
    pd.testing.assert_frame_equal(back, table, check_exact=False, rtol=1e-15)
    assert back["symbol"].isna().sum() == 1
    assert "Cd8$a" in set(back["symbol"])
    assert sorted(p.name for p in path.parent.iterdir()) == ["de.xlsx"]


def test_workbook_sheet_layout(table: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "de.xlsx"
    tables = {"b_vs_a": table}
    de_tables.write_workbook(tables, de_tables.summary_table(tables, 0.05), path)
    book = load_workbook(path)
    sheet = book["b_vs_a"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:J{N_GENES + 1}"
    widths = {c: sheet.column_dimensions[c].width for c in "ABCJ"}
    assert 8 <= widths["A"] <= 50
    assert all(width >= 8 for width in widths.values())
    na_row = next(row for row in sheet.iter_rows(min_row=2) if row[0].value in FILTERED)
    assert all(cell.value is None for cell in na_row[2:])
    assert book["summary"].freeze_panes == "A2"


def test_workbook_is_byte_identical_across_runs(table: pd.DataFrame, tmp_path: Path) -> None:
    tables = {"b_vs_a": table}
    summary = de_tables.summary_table(tables, 0.05)
    de_tables.write_workbook(tables, summary, tmp_path / "one.xlsx")
    de_tables.write_workbook(tables, summary, tmp_path / "two.xlsx")
    assert (tmp_path / "one.xlsx").read_bytes() == (tmp_path / "two.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.xlsx") as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"1980-01-01T00:00:00Z" in archive.read("docProps/core.xml")
