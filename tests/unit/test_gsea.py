"""Tests of tmeseq.gsea: ranking, offline prerank, coverage, determinism."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import gseapy
import numpy as np
import pandas as pd
import pytest
import requests
from gseapy.base import GSEAbase

from tmeseq.errors import InputError
from tmeseq.genesets import Collection, GeneSet, read_hallmarks, read_signatures, signatures_path
from tmeseq.gsea import (
    COLLECTION_COLUMNS,
    RESULT_COLUMNS,
    PrerankSettings,
    diagnose_mismatch,
    load_collections,
    ranking,
    require_gene_set_dict,
    run_gsea,
    run_gsea_sized,
    run_prerank,
    running_enrichment,
)
from tmeseq.tables import write_tsv

UP = "HALLMARK_INTERFERON_GAMMA_RESPONSE"
DOWN = "HALLMARK_E2F_TARGETS"


def de_table(
    genes: list[str], stat: np.ndarray, gene_ids: list[str] | None = None
) -> pd.DataFrame:
    """A DE contract table with the given symbols and Wald statistics."""
    ids = gene_ids or [f"ENSG{i:011d}" for i in range(len(genes))]
    pvalue = np.clip(2 * np.exp(-0.7 * stat**2), 1e-300, 1.0)
    return pd.DataFrame(
        {
            "gene_id": ids,
            "symbol": genes,
            "baseMean": 100.0,
            "log2FoldChange": stat / 4,
            "lfcSE": 0.25,
            "stat": stat,
            "pvalue": pvalue,
            "padj": np.minimum(pvalue * 10, 1.0),
        }
    )


def shifted_table(species: str = "human", seed: int = 0) -> pd.DataFrame:
    """Every Hallmark gene with N(0,1) statistics; UP shifted +1.5, DOWN shifted -1.5."""
    hallmarks = read_hallmarks(species)  # type: ignore[arg-type]
    genes = sorted({g for s in hallmarks.sets for g in s.genes})
    up, down = set(hallmarks.get(UP).genes), set(hallmarks.get(DOWN).genes)
    shift = np.array([1.5 if g in up else -1.5 if g in down else 0.0 for g in genes])
    stat = np.random.default_rng(seed).normal(size=len(genes)) + shift
    return de_table(genes, stat)


@pytest.fixture(scope="module")
def human_ranking():
    return ranking(shifted_table())


@pytest.fixture(scope="module")
def hallmarks_human() -> Collection:
    return read_hallmarks("human")


# --- ranking ---------------------------------------------------------------------------------


def test_duplicate_symbols_keep_largest_abs_stat_and_ties_are_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    table = de_table(
        ["A", "A", "A", "B", "B", "C", "D", "E"],
        np.array([1.0, -3.0, 2.0, 2.5, -2.5, 0.5, 0.5, np.nan]),
        ["g1", "g2", "g3", "g5", "g4", "g6", "g7", "g8"],
    )
    with caplog.at_level(logging.INFO, logger="tmeseq.gsea"):
        ranked = ranking(table)
    assert ranked.values.to_dict() == {"B": -2.5, "C": 0.5, "D": 0.5, "A": -3.0}
    assert list(ranked.genes) == ["C", "D", "B", "A"]  # descending, tie C/D by symbol
    assert ranked.gene_ids["A"] == "g2"  # largest |stat|
    assert ranked.gene_ids["B"] == "g4"  # |2.5| tie: smallest gene ID
    assert ranked.n_collapsed == 3
    assert ranked.n_collapse_ties == 1
    assert ranked.n_tied == 2  # C and D share 0.5
    assert ranked.n_missing == 1
    assert "3 duplicate-symbol rows collapsed" in caplog.text
    assert any(r.levelno == logging.WARNING and "share their" in r.message for r in caplog.records)


def test_ranking_does_not_depend_on_row_order() -> None:
    table = shifted_table()
    table.loc[10:40, "stat"] = 0.25  # many exact ties
    shuffled = table.sample(frac=1.0, random_state=3)
    a, b = ranking(table), ranking(shuffled)
    pd.testing.assert_series_equal(a.values, b.values)
    assert a.n_tied == b.n_tied >= 31


def test_renamed_duplicates_fold_back_and_missing_symbols_use_gene_id() -> None:
    table = de_table(
        ["Actb", "Actb_ENSMUSG2", None, "Cd8a"],
        np.array([1.0, 4.0, 2.0, -1.0]),
        ["ENSMUSG1", "ENSMUSG2", "ENSMUSG3", "ENSMUSG4"],
    )
    ranked = ranking(table)
    assert list(ranked.genes) == ["Actb", "ENSMUSG3", "Cd8a"]
    assert ranked.gene_ids["Actb"] == "ENSMUSG2"
    assert (ranked.n_unrenamed, ranked.n_without_symbol, ranked.n_collapsed) == (1, 1, 1)


def test_shrunk_lfc_metric_without_shrinkage_is_a_clear_input_error() -> None:
    with pytest.raises(InputError, match="log2FoldChange_shrunk") as info:
        ranking(shifted_table(), "shrunk_lfc")
    assert "shrink" in str(info.value.fix)


def test_shrunk_lfc_metric_uses_the_shrunk_column() -> None:
    table = shifted_table().assign(log2FoldChange_shrunk=lambda t: t["stat"] / 10)
    ranked = ranking(table, "shrunk_lfc")
    assert ranked.metric == "shrunk_lfc"
    assert ranked.values.abs().max() == pytest.approx(table["stat"].abs().max() / 10)


def test_signed_log10_p_caps_zero_pvalues() -> None:
    table = de_table(["A", "B", "C", "D"], np.array([50.0, -3.0, 1.0, -40.0]))
    table["pvalue"] = [0.0, 1e-3, 0.5, 0.0]
    ranked = ranking(table, "signed_log10_p")
    assert ranked.values["A"] == pytest.approx(3.0)  # capped at the smallest non-zero p
    assert ranked.values["D"] == pytest.approx(-3.0)
    assert ranked.values["B"] == pytest.approx(-3.0)
    assert ranked.values["C"] == pytest.approx(-np.log10(0.5))
    assert ranked.n_capped == 2
    assert np.isfinite(ranked.values).all()


def test_ranking_rejects_unknown_metric_and_too_few_genes() -> None:
    with pytest.raises(ValueError, match="metric"):
        ranking(shifted_table(), "padj")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="only 1 gene"):
        ranking(de_table(["A", "B"], np.array([1.0, np.nan])))


# --- prerank ---------------------------------------------------------------------------------


def test_prerank_gives_the_contract_table(human_ranking, hallmarks_human) -> None:
    table = run_prerank(human_ranking, hallmarks_human, permutations=200, seed=5)
    assert tuple(table.columns) == RESULT_COLUMNS
    assert len(table) == 50
    assert (table["collection"] == "hallmark_human").all()
    top = table.set_index("term")
    assert top.loc[UP, "nes"] > 0 and top.loc[UP, "fdr"] < 0.05
    assert top.loc[DOWN, "nes"] < 0 and top.loc[DOWN, "fdr"] < 0.05
    keys = table.assign(abs_nes=-table["nes"].abs())[["fdr", "pvalue", "abs_nes", "term"]]
    assert list(keys.itertuples(index=False)) == sorted(keys.itertuples(index=False))
    present = set(human_ranking.genes)
    for row in table.itertuples():
        genes = set(hallmarks_human.get(row.term).genes)
        assert row.size == len(genes & present)
        edge = row.leading_edge.split(";")
        assert set(edge) <= genes & present
        curve = running_enrichment(human_ranking, genes)
        assert curve.es == pytest.approx(row.es, abs=1e-4)


def test_same_seed_gives_byte_identical_tables(tmp_path: Path, human_ranking) -> None:
    collections = load_collections("human")
    first = run_gsea(human_ranking, collections, permutations=300, seed=11, threads=1)
    second = run_gsea(human_ranking, collections, permutations=300, seed=11, threads=2)
    for name, result in (("a", first), ("b", second)):
        write_tsv(result.table, tmp_path / f"{name}.tsv")
        write_tsv(result.collections, tmp_path / f"{name}.collections.tsv")
    assert (tmp_path / "a.tsv").read_bytes() == (tmp_path / "b.tsv").read_bytes()
    assert (tmp_path / "a.collections.tsv").read_bytes() == (
        tmp_path / "b.collections.tsv"
    ).read_bytes()
    other = run_gsea(human_ranking, collections, permutations=300, seed=12)
    assert not other.table["pvalue"].equals(first.table["pvalue"])  # the seed matters


_RUN_IN_A_NEW_PROCESS = """
import sys
from tests.unit.test_gsea import shifted_table
from tmeseq.gsea import load_collections, ranking, run_gsea
from tmeseq.tables import write_tsv
result = run_gsea(ranking(shifted_table()), load_collections("human"), permutations=300, seed=11)
write_tsv(result.table, sys.argv[1])
"""


def test_separate_processes_write_byte_identical_tables(tmp_path: Path) -> None:
    """Python's hash seed differs per process; gseapy < 1.3.1 ordered sets by a HashMap."""
    repo = Path(__file__).resolve().parents[2]
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        command = [sys.executable, "-c", _RUN_IN_A_NEW_PROCESS, str(tmp_path / f"{hash_seed}.tsv")]
        subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True)
    assert (tmp_path / "1.tsv").read_bytes() == (tmp_path / "2.tsv").read_bytes()


def test_collections_are_tested_separately(human_ranking, hallmarks_human) -> None:
    alone = run_gsea(human_ranking, [hallmarks_human], permutations=200, seed=3)
    extra = Collection(
        "strong",
        "1",
        "0" * 64,
        "memory",
        (GeneSet("TOP", tuple(human_ranking.genes[:40]), None, "", ""),),
    )
    together = run_gsea(human_ranking, [hallmarks_human, extra], permutations=200, seed=3)
    pd.testing.assert_frame_equal(
        together.table[together.table["collection"] == "hallmark_human"], alone.table
    )
    assert list(together.table["collection"].unique()) == ["hallmark_human", "strong"]


def test_collections_table_records_version_checksum_and_coverage(human_ranking) -> None:
    collections = load_collections("human")
    result = run_gsea(human_ranking, collections, permutations=100, seed=1)
    info = result.collections.set_index("collection")
    assert tuple(result.collections.columns) == COLLECTION_COLUMNS
    for collection in collections:
        row = info.loc[collection.name]
        assert (row["version"], row["sha256"]) == (collection.version, collection.sha256)
        assert row["n_sets"] == len(collection.sets)
    assert info.loc["hallmark_human", "source"] == (
        "workflow/resources/genesets/h.all.v7.0.symbols.gmt"
    )
    assert info.loc["hallmark_human", "coverage"] == 1.0
    assert not info.loc["hallmark_human", "low_coverage"]
    assert result.parameters["seed"] == 1
    assert result.parameters["gseapy_version"] == gseapy.__version__


def test_each_collection_is_tested_with_its_own_min_size(human_ranking) -> None:
    signatures = read_signatures(signatures_path(), "human")
    strong = Collection(
        "strong",
        "1",
        "0" * 64,
        "memory",
        (GeneSet("TOP", tuple(human_ranking.genes[:40]), None, "", ""),),
    )
    sized = run_gsea_sized(
        human_ranking,
        [(signatures, 5), (strong, 50)],
        permutations=100,
        seed=1,
        max_size=500,
        method="permutation",
        threads=1,
    )
    alone = run_gsea(human_ranking, [signatures], permutations=100, seed=1, min_size=5)
    pd.testing.assert_frame_equal(sized.table, alone.table)  # TOP (40 genes) is below 50
    assert sized.collections["collection"].tolist() == ["tme_signatures", "strong"]
    assert sized.collections["n_sets_tested"].tolist() == [alone.table.shape[0], 0]
    assert sized.parameters["min_size"] == {"tme_signatures": 5, "strong": 50}
    with pytest.raises(ValueError, match="repeated: \\['strong'\\]"):
        run_gsea_sized(
            human_ranking,
            [(strong, 5), (strong, 15)],
            permutations=100,
            seed=1,
            max_size=500,
            method="permutation",
            threads=1,
        )


def test_signature_sets_below_min_size_are_filtered_and_reported(human_ranking) -> None:
    signatures = read_signatures(signatures_path(), "human")
    default = run_gsea(human_ranking, [signatures], permutations=100, seed=1)
    assert default.table.empty
    assert tuple(default.table.columns) == RESULT_COLUMNS
    row = default.collections.iloc[0]
    assert row["n_sets_tested"] == 0
    assert "nothing was tested" in row["note"]
    small = run_gsea(human_ranking, [signatures], permutations=100, seed=1, min_size=5)
    tested = set(small.table["term"])
    assert tested and {"ifng", "prf1", "gzmb", "cd274"}.isdisjoint(tested)
    assert (small.table["size"] >= 5).all()


def test_ensembl_ids_give_a_coverage_warning_and_an_empty_table(
    caplog: pytest.LogCaptureFixture, hallmarks_human
) -> None:
    table = shifted_table()
    table["symbol"] = np.nan  # no annotation: rows are keyed by their Ensembl IDs
    ranked = ranking(table)
    with caplog.at_level(logging.WARNING, logger="tmeseq.gsea"):
        result = run_gsea(ranked, [hallmarks_human], permutations=100, seed=1)
    assert result.table.empty
    assert tuple(result.table.columns) == RESULT_COLUMNS
    row = result.collections.iloc[0]
    assert bool(row["low_coverage"]) and row["coverage"] == 0.0
    assert "Ensembl" in row["note"] and "nothing was tested" in row["note"]
    warnings = [r.message for r in caplog.records if r.levelno == logging.WARNING]
    assert any("Ensembl gene IDs" in m and "annotation" in m for m in warnings)


def test_human_sets_on_mouse_data_are_named_as_the_cause(
    caplog: pytest.LogCaptureFixture, hallmarks_human
) -> None:
    mouse = ranking(shifted_table("mouse"))
    with caplog.at_level(logging.WARNING, logger="tmeseq.gsea"):
        result = run_gsea(mouse, [hallmarks_human], permutations=100, seed=1)
    row = result.collections.iloc[0]
    assert bool(row["low_coverage"])
    assert "human sets on mouse data" in row["note"]
    assert "human sets on mouse data" in caplog.text


def test_multilevel_method_finds_the_planted_sets(human_ranking, hallmarks_human) -> None:
    table = run_prerank(human_ranking, hallmarks_human, method="multilevel", permutations=200)
    top = table.set_index("term")
    assert top.loc[UP, "fdr"] < 1e-6 < top.loc[UP, "nes"]
    assert top.loc[DOWN, "fdr"] < 1e-6 and top.loc[DOWN, "nes"] < 0


@pytest.mark.parametrize(
    "settings",
    [
        {"permutations": 0},
        {"min_size": 0},
        {"min_size": 20, "max_size": 10},
        {"threads": 0},
        {"method": "fgsea"},
    ],
)
def test_invalid_settings_are_rejected(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        PrerankSettings(**settings)  # type: ignore[arg-type]


# --- offline ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gene_sets",
    ["KEGG_2016", "h.all.v7.0.symbols.gmt", ["KEGG_2016"], {"SET": "ABC"}, {1: ["A"]}],
)
def test_gene_set_guard_rejects_anything_but_a_dict_of_lists(gene_sets: object) -> None:
    with pytest.raises(TypeError):
        require_gene_set_dict(gene_sets)


def test_gene_set_guard_accepts_a_dict() -> None:
    sets = {"SET": ["A", "B"]}
    assert require_gene_set_dict(sets) is sets


def _refuse(attempts: list[str], name: str):
    """A stand-in for a network call that records the attempt and fails."""

    def blocked(*args: object, **kwargs: object) -> None:
        attempts.append(name)
        raise OSError(f"network access attempted via {name}")

    return blocked


def _block_network(monkeypatch: pytest.MonkeyPatch, attempts: list[str]) -> None:
    """Make every socket connection and every ``requests`` call fail and be recorded."""
    monkeypatch.setattr(socket.socket, "connect", _refuse(attempts, "socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse(attempts, "socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", _refuse(attempts, "create_connection"))
    monkeypatch.setattr(requests.Session, "send", _refuse(attempts, "requests"))


def test_the_network_trap_catches_gseapy_going_online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Positive control: a library name makes gseapy try to list Enrichr libraries."""
    attempts: list[str] = []
    _block_network(monkeypatch, attempts)
    rnk = pd.Series(np.linspace(3, -3, 60), index=[f"G{i}" for i in range(60)])
    with pytest.raises(OSError, match="network access attempted"):
        gseapy.prerank(rnk, "No_Such_Library_tmeseq", outdir=None, no_plot=True, min_size=1)
    assert attempts


def test_a_full_run_never_touches_the_network(
    monkeypatch: pytest.MonkeyPatch, human_ranking
) -> None:
    attempts: list[str] = []
    _block_network(monkeypatch, attempts)
    for method in ("get_libraries", "_download_libraries", "parse_gmt"):
        monkeypatch.setattr(GSEAbase, method, _refuse(attempts, f"gseapy {method}"))
    result = run_gsea(human_ranking, load_collections("human"), permutations=100, seed=1)
    assert len(result.table) == 50
    assert attempts == []


def test_user_gmt_collections_keep_their_path_and_version(tmp_path: Path) -> None:
    gmt = tmp_path / "my_sets.v3.1.gmt"
    gmt.write_text("SET_A\tdesc\tCD8A\tCD8B\nSET_B\tdesc\tFOXP3\tIL2RA\n")
    (collection,) = load_collections("human", hallmarks=False, signatures=False, gmts=[gmt])
    assert (collection.name, collection.version) == ("my_sets.v3.1", "3.1")
    table = de_table(["CD8A", "CD8B", "FOXP3", "IL2RA", "ACTB"], np.arange(5.0))
    result = run_gsea(ranking(table), [collection], permutations=50, min_size=2)
    assert result.collections.loc[0, "source"] == str(gmt)
    assert set(result.table["term"]) == {"SET_A", "SET_B"}


@pytest.mark.parametrize(
    ("ranking_genes", "set_genes", "expected"),
    [
        (["ENSMUSG00000000001", "ENSMUSG00000000028.16"], ["Cd8a"], "mouse Ensembl gene IDs"),
        (["920", "925"], ["CD8A"], "Entrez (NCBI Gene) IDs"),
        (["Cd8a", "Foxp3", "Gzmb"], ["CD8A", "FOXP3"], "human sets on mouse data"),
        (["CD8A", "FOXP3", "GZMB"], ["Cd8a", "Foxp3"], "mouse sets on human data"),
        (["CD8A", "FOXP3"], ["CD8B", "IL2RA"], "annotation release"),
    ],
)
def test_mismatch_diagnosis(ranking_genes: list[str], set_genes: list[str], expected: str) -> None:
    assert expected in diagnose_mismatch(ranking_genes, set_genes)
