"""End-to-end: real gene IDs with no annotation file get symbols from the bundled tables.

Three small cohorts (6 samples, a few hundred genes: the TME signature genes and two Hallmark
sets of the species, the IFN-gamma response genes up in the ``trt`` arm) run with no
``annotation:`` and reach scores and GSEA: human Ensembl IDs (versioned), human Entrez IDs and
mouse Ensembl IDs. A mouse Ensembl matrix under ``species: human`` stops before any job with a
message naming the ID type. The IDs are taken from the bundled tables by symbol; the run must
map them back.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import pandas as pd
import pytest

from tests.e2e.runner import snakemake
from tests.helpers import small_counts, write_config
from tmeseq.genesets import read_hallmarks, read_signatures, signatures_path
from tmeseq.idmap import read_id_table
from tmeseq.resources import ID_TABLES, RESOURCES_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("bundled_ids")]

CONTRAST = "trt_vs_ctrl"
SAMPLES = ["s1", "s2", "s3", "s4", "s5", "s6"]
HALLMARK_SETS = ("HALLMARK_INTERFERON_GAMMA_RESPONSE", "HALLMARK_ALLOGRAFT_REJECTION")

#: cohort -> (species, ID table, version suffix added to the IDs, ID type detected)
COHORTS = {
    "human_ensembl": ("human", "ensembl_human", ".7", "ensembl_human"),
    "human_entrez": ("human", "entrez_human", "", "entrez"),
    "mouse_ensembl": ("mouse", "ensembl_mouse", "", "ensembl_mouse"),
}
#: A gene of each cohort with its ID and symbol (checked against the tables' sources).
KNOWN = {
    "human_ensembl": ("ENSG00000111537.7", "IFNG"),
    "human_entrez": ("3458", "IFNG"),
    "mouse_ensembl": ("ENSMUSG00000055170", "Ifng"),
}


def cohort_genes(species: str) -> list[str]:
    """Symbols of the cohort: the IFN-gamma response genes first (they carry the effect),
    then the other Hallmark set and the signature genes, each once."""
    hallmarks = {s.name: s.genes for s in read_hallmarks(species).sets}  # type: ignore[arg-type]
    signatures = read_signatures(signatures_path(), species)  # type: ignore[arg-type]
    genes = [g for name in HALLMARK_SETS for g in hallmarks[name]]
    genes += [g for s in signatures.sets for g in s.genes]
    return list(dict.fromkeys(genes))


def gene_ids(symbols: list[str], table: str, version: str) -> dict[str, str]:
    """Symbol -> its ID in the bundled table (the smallest ID when several share it)."""
    frame = read_id_table(table).frame
    named = frame[frame["symbol"].isin(symbols)]
    first = named.reset_index().sort_values("gene_id").drop_duplicates("symbol")
    found = dict(zip(first["symbol"], first["gene_id"], strict=True))
    return {s: found[s] + version for s in symbols if s in found}


def make_cohort(root: Path, cohort: str, species: str, table: str, version: str) -> dict:
    """Write counts, sheet and config of ``cohort`` into ``root``; symbol -> ID used."""
    ids = gene_ids(cohort_genes(species), table, version)
    counts = small_counts(SAMPLES, n_genes=len(ids), seed=3)
    counts.index = pd.Index(list(ids.values()), name="gene_id")
    counts.to_csv(root / "counts.tsv", sep="\t")
    sheet = pd.DataFrame({"sample": SAMPLES, "arm": ["ctrl", "trt"] * 3})
    sheet.to_csv(root / "samples.tsv", sep="\t", index=False)
    write_config(
        root / "config.yaml",
        cohort=cohort,
        species=species,
        gsea={"permutations": 100},
    )
    return ids


@pytest.fixture(scope="module", params=list(COHORTS))
def bundled_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A cohort of :data:`COHORTS` run (no annotation) up to its scores and GSEA table."""
    cohort = request.param
    species, table, version, _ = COHORTS[cohort]
    root = tmp_path_factory.mktemp(cohort)
    ids = make_cohort(root, cohort, species, table, version)
    out = f"results/{cohort}"
    run = snakemake(root, f"{out}/scores/sample_scores.tsv", f"{out}/gsea/{CONTRAST}.tsv")
    assert run.returncode == 0, run.stderr[-3000:]
    return cohort, root / out, ids


def test_symbols_come_from_the_bundled_table(bundled_run: tuple[str, Path, dict]) -> None:
    cohort, out, ids = bundled_run
    adata = ad.read_h5ad(out / "counts.h5ad")
    assert adata.n_vars == len(ids) > 250
    var = adata.var
    assert list(var["gene_id"]) == list(ids.values())
    assert list(var["symbol"]) == list(ids)
    gene, symbol = KNOWN[cohort]
    assert var.set_index("gene_id").loc[gene, "symbol"] == symbol
    _, table, _, id_type = COHORTS[cohort]
    provenance = adata.uns["tmeseq"]["import"]
    assert provenance["annotation"] == ""
    assert provenance["id_type"] == id_type
    assert provenance["annotation_source"].startswith(
        f"bundled {RESOURCES_DIR}/{ID_TABLES[table]}"
    )
    if cohort.startswith("human"):
        assert var.set_index("symbol").loc["IFNG", "biotype"] == "protein-coding"
    else:
        assert "biotype" not in var.columns
    log = (out / "logs" / "import_counts.log").read_text()
    assert f"symbols from the bundled table {RESOURCES_DIR}/{ID_TABLES[table]}" in log
    assert f"{len(ids)} of {len(ids)} genes (100.0%) found" in log


def test_scores_are_computed(bundled_run: tuple[str, Path, dict]) -> None:
    _, out, _ = bundled_run
    scores = pd.read_csv(out / "scores" / "sample_scores.tsv", sep="\t")
    assert scores["sample"].tolist() == SAMPLES
    values = scores.drop(columns="sample")
    for score in ("ifng", "gzmb", "cd8_t_cells"):
        assert values[score].notna().all(), score


def test_hallmark_sets_are_tested(bundled_run: tuple[str, Path, dict]) -> None:
    _, out, _ = bundled_run
    gsea = pd.read_csv(out / "gsea" / f"{CONTRAST}.tsv", sep="\t")
    hallmark = gsea[gsea["term"].str.startswith("HALLMARK_")].set_index("term")
    assert "HALLMARK_INTERFERON_GAMMA_RESPONSE" in hallmark.index
    assert hallmark["nes"].notna().all()
    assert hallmark.loc["HALLMARK_INTERFERON_GAMMA_RESPONSE", "nes"] > 0


def test_mouse_ids_under_species_human_stop_with_the_id_type(tmp_path: Path) -> None:
    make_cohort(tmp_path, "wrong_species", "mouse", "ensembl_mouse", ".3")
    write_config(tmp_path / "config.yaml", cohort="wrong_species", species="human")
    run = snakemake(tmp_path)
    assert run.returncode != 0
    output = run.stderr + run.stdout
    assert "counts.tsv, gene ID column: the gene IDs are mouse Ensembl gene IDs" in output
    assert output.count("species is 'human'") == 1
    assert "set `species: mouse`" in output
    assert "Traceback" not in output
    assert not (tmp_path / "results").exists()  # stopped at load, before any job
