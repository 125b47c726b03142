"""No silent emptiness (tmeseq.stage_inputs, rule check_gene_sets) and found = expressed
(tmeseq.scores with the DE pre-filter): a stage with nothing to work on stops the run with one
message naming the stage, the collection, the ID type and the fix, unless the user opts in; a
signature gene counts as found only if it is expressed."""

from __future__ import annotations

import logging
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from tests.helpers import REPO, de_settings
from tmeseq.de.prefilter import keep_genes, prefilter_mask
from tmeseq.errors import InputError
from tmeseq.genesets import Collection, GeneSet
from tmeseq.scores import compare_scores, score_samples
from tmeseq.settings import Settings
from tmeseq.stage_inputs import (
    COVERAGE_COLUMNS,
    GSEA,
    SCORES,
    GenePool,
    GeneSetPlan,
    Planned,
    check_stage_inputs,
    coverage,
    gene_pool,
)
from tmeseq.steps.scores import expressed_matrix

ALLOW_NONE = {SCORES: False, GSEA: False}


def collection(name: str, sets: dict[str, list[str]], source: str = "") -> Collection:
    """A collection read from ``source`` (default ``<name>.gmt``) with the given sets."""
    gene_sets = tuple(GeneSet(n, tuple(g), None, "", "") for n, g in sets.items())
    return Collection(name, "1", "0" * 64, source or f"{name}.gmt", gene_sets)


def pool(
    symbols: list[str], expressed: list[str] | None = None, ids: list[str] | None = None
) -> GenePool:
    """Genes named ``symbols`` (IDs the same unless given), all expressed unless listed."""
    return GenePool(
        gene_ids=tuple(ids or symbols),
        symbols=tuple(symbols),
        expressed=frozenset(symbols if expressed is None else expressed),
    )


CUSTOM = pool([f"gene{i}" for i in range(1, 201)])
"""Custom gene names, no annotation: they match no signature."""
SIGNATURES = collection("tme_signatures", {"cd8": ["Cd8a", "Cd8b1"], "nk": ["Ncr1", "Klrb1c"]})


# --- the check ------------------------------------------------------------------------------


def test_collection_with_no_gene_in_the_counts_fails_naming_it_and_the_id_type() -> None:
    with pytest.raises(InputError) as caught:
        check_stage_inputs(CUSTOM, [Planned(SCORES, SIGNATURES)], ALLOW_NONE, "mouse")
    error = caught.value
    assert error.file == "tme_signatures.gmt"
    assert error.where == "scores stage, gene-set collection 'tme_signatures'"
    assert error.problem.startswith(
        "nothing to work on: none of its 4 genes is in the counts, so every score of it "
        "would be NA. Gene IDs in the counts: IDs of no recognised type (e.g. 'gene1', "
        "'gene2', 'gene3'"
    )
    assert error.message.startswith(
        "tme_signatures.gmt, scores stage, gene-set collection 'tme_signatures': nothing to "
        "work on"
    )
    assert error.fix is not None
    assert error.fix.startswith("give `annotation:` (a gene ID -> symbol table or a GTF)")
    assert error.fix.endswith(
        "or set `scores.allow_empty: true` to run anyway (reported as not tested)"
    )
    assert error.message.count("How to fix:") == 1


def test_ensembl_ids_without_symbols_are_named_with_examples() -> None:
    ids = [f"ENSMUSG{i:011d}" for i in range(1, 101)]
    with pytest.raises(InputError) as caught:
        check_stage_inputs(pool(ids), [Planned(SCORES, SIGNATURES)], ALLOW_NONE, "mouse")
    assert (
        "Gene IDs in the counts: mouse Ensembl gene IDs, without version (e.g. "
        "'ENSMUSG00000000001', 'ENSMUSG00000000002', 'ENSMUSG00000000003'; 100.0% of 100 IDs)"
    ) in caught.value.problem
    assert caught.value.fix is not None and "give `annotation:`" in caught.value.fix


def test_the_other_species_symbols_suggest_species() -> None:
    human = pool(["CD8A", "CD8B", "NCR1", "KLRB1", "ACTB", "GAPDH"])
    with pytest.raises(InputError) as caught:
        check_stage_inputs(human, [Planned(SCORES, SIGNATURES)], ALLOW_NONE, "mouse")
    fix = caught.value.fix or ""
    assert fix.startswith(
        "set `species:` to the species of the data (the counts' symbols look human, the gene "
        "sets mouse; the config says mouse)"
    )
    assert "give `annotation:`" not in fix
    assert "their symbols" not in caught.value.problem  # symbols are the IDs themselves


def test_genes_present_but_not_expressed_do_not_count() -> None:
    data = pool(["Cd8a", "Cd8b1", "Ncr1", "Actb"], expressed=["Actb"])
    with pytest.raises(InputError) as caught:
        check_stage_inputs(data, [Planned(SCORES, SIGNATURES)], ALLOW_NONE, "mouse")
    assert caught.value.problem.startswith(
        "nothing to work on: 3 of its 4 genes are in the counts but none is expressed (kept "
        "by the DE pre-filter), so every score of it would be NA."
    )
    assert "check `de.prefilter`" in (caught.value.fix or "")
    one = pool(["Cd8a", "Cd8b1", "Ncr1", "Actb"], expressed=["Ncr1", "Actb"])
    table = check_stage_inputs(one, [Planned(SCORES, SIGNATURES)], ALLOW_NONE, "mouse")
    row = table.iloc[0]
    assert (row["n_genes"], row["n_in_counts"], row["n_expressed"]) == (4, 3, 1)
    assert (row["n_sets_testable"], row["status"], row["note"]) == (1, "ok", "")


def sized(n_sets: int, size: int) -> Collection:
    """A GSEA collection of ``n_sets`` sets of ``size`` distinct genes each (g0, g1, ...)."""
    return collection(
        "user",
        {f"set{k}": [f"g{k * size + i}" for i in range(size)] for k in range(n_sets)},
        source="sets/user.gmt",
    )


DATA = pool([f"g{i}" for i in range(400)])


def test_gsea_collection_below_its_size_threshold_fails_and_at_it_passes() -> None:
    below = Planned(GSEA, sized(3, 14), 15, 500)
    with pytest.raises(InputError) as caught:
        check_stage_inputs(DATA, [below], ALLOW_NONE, "mouse")
    assert caught.value.where == "gsea stage, gene-set collection 'user'"
    assert caught.value.file == "sets/user.gmt"
    assert caught.value.problem.startswith(
        "nothing to work on: 42 of its 42 genes are expressed, but no set has the 15 to 500 "
        "expressed genes a set needs, so none of its 3 sets could be tested."
    )
    fix = caught.value.fix or ""
    assert "lower `gsea.min_size` / `gsea.signature_min_size`" in fix
    assert fix.endswith("or set `gsea.allow_empty: true` to run anyway (reported as not tested)")
    at = Planned(GSEA, sized(3, 15), 15, 500)
    table = check_stage_inputs(DATA, [at], ALLOW_NONE, "mouse")
    assert table[["n_sets", "n_sets_testable", "min_size", "max_size"]].iloc[0].tolist() == [
        3,
        3,
        15,
        500,
    ]
    # above max_size counts as untestable too
    assert coverage(Planned(GSEA, sized(2, 30), 15, 20), DATA).n_sets_testable == 0


def test_opt_in_turns_the_failure_into_an_honest_empty_row(
    caplog: pytest.LogCaptureFixture,
) -> None:
    planned = [Planned(SCORES, SIGNATURES), Planned(GSEA, SIGNATURES, 5, 500)]
    with caplog.at_level(logging.WARNING, logger="tmeseq"):
        table = check_stage_inputs(CUSTOM, planned, {SCORES: True, GSEA: True}, "mouse")
    assert list(table.columns) == list(COVERAGE_COLUMNS)
    assert table["status"].tolist() == ["empty", "empty"]
    assert table["note"].tolist() == [
        "not tested: no gene of tme_signatures in the counts (allowed by scores.allow_empty)",
        "not tested: no gene of tme_signatures in the counts (allowed by gsea.allow_empty)",
    ]
    assert table[["n_in_counts", "n_expressed", "n_sets_testable"]].to_numpy().sum() == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "scores: not tested: no gene of tme_signatures in the counts (scores.allow_empty is "
        "on: the run goes on)",
        "gsea: not tested: no gene of tme_signatures in the counts (gsea.allow_empty is on: "
        "the run goes on)",
    ]
    # opting in for one stage does not excuse the other
    with pytest.raises(InputError, match="gsea stage, gene-set collection 'tme_signatures'"):
        check_stage_inputs(CUSTOM, planned, {SCORES: True, GSEA: False}, "mouse")


def test_several_empty_collections_make_one_message() -> None:
    planned = [
        Planned(SCORES, SIGNATURES),
        Planned(GSEA, collection("hallmark", {"h1": ["Stat1", "Irf1"]}), 15, 500),
        Planned(GSEA, sized(2, 20), 15, 500),
    ]
    with pytest.raises(InputError) as caught:
        check_stage_inputs(CUSTOM, planned, ALLOW_NONE, "mouse")
    lines = caught.value.message.splitlines()
    assert lines[:4] == [
        "3 gene-set collections leave nothing to work on:",
        "- tme_signatures.gmt, scores stage, gene-set collection 'tme_signatures': none of "
        "its 4 genes is in the counts, so every score of it would be NA",
        "- hallmark.gmt, gsea stage, gene-set collection 'hallmark': none of its 2 genes is "
        "in the counts, so none of its 1 sets could be tested",
        "- sets/user.gmt, gsea stage, gene-set collection 'user': none of its 40 genes is in "
        "the counts, so none of its 2 sets could be tested",
    ]
    assert lines[4].startswith("Gene IDs in the counts: IDs of no recognised type")
    assert lines[5].endswith(
        "or set `scores.allow_empty: true` and `gsea.allow_empty: true` to run anyway "
        "(reported as not tested)"
    )
    assert len(lines) == 6 and lines[5].count("give `annotation:`") == 1


def test_a_user_file_matching_nothing_fails_although_other_sets_are_scored(
    tmp_path: Path,
) -> None:
    signatures = REPO / "workflow" / "resources" / "signatures" / "tme_signatures.yaml"
    mine = tmp_path / "mine.gmt"
    mine.write_text("ids_set\t-\tENSMUSG00000000001\tENSMUSG00000000028\n")
    config = minimal_settings(
        species="mouse",
        scores={"gene_sets": [str(mine)]},
        gsea={"signatures": False, "hallmarks": False},
    )
    plan = GeneSetPlan.from_settings(config, signatures=str(signatures), hallmarks="unused")
    planned = plan.planned()
    assert [(p.stage, p.collection.name, len(p.collection.sets)) for p in planned] == [
        (SCORES, "tme_signatures", 16),
        (SCORES, "mine", 1),
    ]
    data = pool(["Cd8a", "Cd8b1", "Foxp3", "Actb"])
    with pytest.raises(InputError) as caught:
        check_stage_inputs(data, planned, plan.allow_empty, plan.species)
    assert caught.value.file == str(mine)
    assert caught.value.where == "scores stage, gene-set collection 'mine'"
    assert "none of its 2 genes is in the counts" in caught.value.problem


def minimal_settings(**sections: object) -> Settings:
    """Settings of a minimal config with ``sections`` merged in, every default from the
    schema (as the workflow validates it)."""
    from snakemake.utils import validate

    config: dict = {
        "counts": {"path": "c.tsv"},
        "de": {
            "contrasts": [{"name": "b_vs_a", "variable": "arm", "test": "b", "reference": "a"}]
        },
        **sections,
    }
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    return Settings.from_config(config)


def test_plan_reaches_the_rule_as_an_object_the_rerun_trigger_ignores() -> None:
    settings = minimal_settings(gsea={"hallmarks": False, "min_size": 10})
    plan = GeneSetPlan.from_settings(settings, signatures="sig.yaml", hallmarks="h.gmt")
    assert plan.hallmarks is None and plan.min_size == 10
    assert plan.allow_empty == {SCORES: False, GSEA: False}
    assert (settings.scores.allow_empty, settings.gsea.allow_empty) == (False, False)
    # Snakemake's params trigger compares builtin values only: a dataclass is not one
    assert not isinstance(plan, (dict, list, tuple, str, int, float, bool))


def test_expressed_genes_are_the_de_pre_filter() -> None:
    rng = np.random.default_rng(3)
    counts = rng.poisson(40, size=(6, 8))
    counts[:, 2] = 0  # never counted
    counts[:3, 5] = 0  # only in the 'b' arm (3 samples): kept with the smallest group of 3
    counts[:4, 6] = 0  # 2 samples only: dropped
    obs = pd.DataFrame({"arm": ["a", "a", "a", "b", "b", "b"]}, index=[f"s{i}" for i in range(6)])
    symbols = [f"Gene{i}" for i in range(8)]
    var = pd.DataFrame({"gene_id": [f"id{i}" for i in range(8)], "symbol": symbols})
    imported = ad.AnnData(X=counts, obs=obs, var=var.set_index("gene_id", drop=False))
    settings = de_settings(
        "~ arm", [{"name": "b_vs_a", "variable": "arm", "test": "b", "reference": "a"}]
    )
    mask = prefilter_mask(imported, settings.model)
    np.testing.assert_array_equal(mask, keep_genes(counts, 10, 3))
    assert mask.tolist() == [True, True, False, True, True, True, False, True]
    genes = gene_pool(imported.var, mask)
    assert genes.expressed == frozenset(s for s, k in zip(symbols, mask, strict=True) if k)
    assert genes.present == frozenset(symbols)


# --- found = expressed ------------------------------------------------------------------------


def test_a_signature_gene_present_but_filtered_out_is_unexpressed_not_found() -> None:
    rng = np.random.default_rng(5)
    vst = pd.DataFrame(
        rng.normal(8, 1, size=(6, 3)),
        index=[f"s{i}" for i in range(6)],
        columns=["Ga", "Gb", "Gc"],
    )
    sets = collection("tiny", {"pair": ["Ga", "Gfilt", "Gabsent"], "lost": ["Gfilt"]})
    result = score_samples(vst, sets, present={"Ga", "Gb", "Gc", "Gfilt", "Other"})
    table = result.coverage.set_index("score")
    assert table.loc["pair", ["n_genes", "n_found", "n_unexpressed"]].tolist() == [3, 1, 1]
    assert table.loc["pair", "genes_found"] == "Ga"
    assert table.loc["pair", "genes_unexpressed"] == "Gfilt"
    assert table.loc["pair", "genes_missing"] == "Gabsent"
    assert bool(table.loc["pair", "low_coverage"])
    assert table.loc["lost", ["n_found", "n_unexpressed", "genes_missing"]].tolist() == [
        0,
        1,
        "",
    ]
    assert result.scores["lost"].isna().all()
    # the pair's score uses its expressed gene only
    z = (vst["Ga"] - vst["Ga"].mean()) / vst["Ga"].std(ddof=1)
    np.testing.assert_allclose(result.scores["pair"], z)
    # without `present`, a gene absent from the matrix is missing, as before
    plain = score_samples(vst, sets).coverage.set_index("score")
    assert plain.loc["pair", ["n_found", "n_unexpressed", "genes_missing"]].tolist() == [
        1,
        0,
        "Gfilt;Gabsent",
    ]
    # the comparison table's n_found counts the expressed genes
    design = pd.DataFrame(
        {"Intercept": 1.0, "b": [0.0, 1.0] * 3}, index=vst.index, dtype=np.float64
    )
    compared = compare_scores(
        result.scores, design, np.array([0.0, 1.0]), coverage=result.coverage
    ).set_index("score")
    assert compared.loc["pair", ["n_genes", "n_found"]].tolist() == [3, 1]
    assert compared.loc["lost", ["n_genes", "n_found"]].tolist() == [1, 0]
    assert np.isnan(compared.loc["lost", "pvalue"])


def test_the_scores_step_scores_only_the_genes_the_fit_tested() -> None:
    rng = np.random.default_rng(9)
    vst = rng.normal(8, 1, size=(4, 5))
    var = pd.DataFrame(
        {
            "gene_id": [f"id{i}" for i in range(5)],
            "symbol": ["Cd8a", "Cd8b1", "Foxp3", None, "Actb"],
            "tested": [True, False, True, True, False],
        }
    ).set_index("gene_id", drop=False)
    fitted = ad.AnnData(
        X=np.zeros((4, 5)), obs=pd.DataFrame(index=[f"s{i}" for i in range(4)]), var=var
    )
    fitted.layers["vst"] = vst
    matrix, present = expressed_matrix(fitted)
    assert list(matrix.columns) == ["Cd8a", "Foxp3"]  # tested, with a symbol
    np.testing.assert_array_equal(matrix.to_numpy(), vst[:, [0, 2]])
    assert present == {"Cd8a", "Cd8b1", "Foxp3", "Actb"}
    result = score_samples(matrix, SIGNATURES, present=present).coverage.set_index("score")
    assert result.loc["cd8", ["n_found", "genes_found", "genes_unexpressed"]].tolist() == [
        1,
        "Cd8a",
        "Cd8b1",
    ]
    assert result.loc["nk", ["n_found", "genes_missing"]].tolist() == [0, "Ncr1;Klrb1c"]
