"""Tests of tmeseq.genesets (GMT and signature-YAML readers, what a run tests) and of
tmeseq.resources (where the bundled files are)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tmeseq.errors import InputError
from tmeseq.genesets import (
    HALLMARK_CITATION,
    Collection,
    bundled_path,
    gsea_collections,
    hallmark_path,
    read_gmt,
    read_hallmarks,
    read_signatures,
    signature_collection,
    signatures_path,
)
from tmeseq.resources import HALLMARK_FILES, SIGNATURES_FILE, SOURCE_ENV, source_tree

SIGNATURE_NAMES = (
    "ifng",
    "prf1",
    "gzmb",
    "cd274",
    "effector",
    "cytolytic_activity",
    "ifng_6gene",
    "t_cell_inflamed_gep",
    "cd8_t_cells",
    "nk_cells",
    "tregs",
    "m1_macrophages",
    "m2_macrophages",
    "icd",
    "il2_cd122",
)

GEP_WEIGHTS_HUMAN = {
    "CCL5": 0.008346,
    "CD27": 0.072293,
    "CD274": 0.042853,
    "CD276": -0.0239,
    "CD8A": 0.031021,
    "CMKLR1": 0.151253,
    "CXCL9": 0.074135,
    "CXCR6": 0.004313,
    "HLA-DQA1": 0.020091,
    "HLA-DRB1": 0.058806,
    "HLA-E": 0.07175,
    "IDO1": 0.060679,
    "LAG3": 0.123895,
    "NKG7": 0.075524,
    "PDCD1LG2": 0.003734,
    "PSMB10": 0.032999,
    "STAT1": 0.250229,
    "TIGIT": 0.084767,
}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Hallmark GMTs


@pytest.mark.parametrize("species", ["human", "mouse"])
def test_hallmark_files_have_50_sets(species: str) -> None:
    collection = read_hallmarks(species)  # type: ignore[arg-type]
    assert len(collection.sets) == 50
    assert len(set(collection.names)) == 50
    assert all(len(s.genes) >= 30 for s in collection.sets)
    assert "Liberzon" in collection.sets[0].citation


def test_hallmark_known_genes() -> None:
    human = read_hallmarks("human")
    mouse = read_hallmarks("mouse")
    assert "STAT1" in human.get("HALLMARK_INTERFERON_GAMMA_RESPONSE").genes
    assert "CD274" in human.get("HALLMARK_INTERFERON_GAMMA_RESPONSE").genes
    assert "Il2rb" in mouse.get("HALLMARK_IL2_STAT5_SIGNALING").genes
    assert "Cd274" in mouse.get("HALLMARK_INTERFERON_GAMMA_RESPONSE").genes
    assert human.version == "7.0"
    assert mouse.version == "2022.1"


def test_mouse_hallmark_keeps_source_spelling() -> None:
    mouse = read_hallmarks("mouse")
    assert "HALLMARK_REACTIVE_OXIGEN_SPECIES_PATHWAY" in mouse.names
    assert "HALLMARK_REACTIVE_OXYGEN_SPECIES_PATHWAY" in read_hallmarks("human").names


@pytest.mark.parametrize("species", ["human", "mouse"])
def test_hallmark_sha256_matches_readme(species: str) -> None:
    path = hallmark_path(species)  # type: ignore[arg-type]
    readme = bundled_path("genesets/README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if f"`{path.name}`" in line)
    documented = re.search(r"`([0-9a-f]{64})`", row)
    assert documented is not None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert documented.group(1) == digest
    assert read_gmt(path).sha256 == digest


def test_to_dict_matches_sets() -> None:
    collection = read_hallmarks("human")
    as_dict = collection.to_dict()
    assert list(as_dict) == list(collection.names)
    assert as_dict["HALLMARK_HYPOXIA"] == list(collection.get("HALLMARK_HYPOXIA").genes)
    with pytest.raises(KeyError):
        collection.get("NOT_A_SET")


# --------------------------------------------------------------------------------------------
# GMT parsing


def test_read_gmt_small_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "mine.v3.1.gmt",
        "SET_A\tdesc a\tG1\tG2\tG1\t\r\n\nSET_B\thttp://x\tG3\n",
    )
    collection = read_gmt(path)
    assert isinstance(collection, Collection)
    assert collection.name == "mine.v3.1"
    assert collection.version == "3.1"
    assert collection.source == str(path)
    assert collection.get("SET_A").genes == ("G1", "G2")
    assert collection.get("SET_B").description == "http://x"
    assert collection.get("SET_B").weights is None
    assert read_gmt(path, name="custom", version="x").name == "custom"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("SET_A\tdesc\tG1\nSET_B desc G2 G3\n", 2, "no tab-separated fields"),
        ("SET_A\tdesc\n", 1, "only 2 field(s)"),
        ("SET_A\tdesc\tG1\n\tdesc\tG2\n", 2, "set name"),
        ("SET_A\tdesc\tG1\t\tG2\n", 1, "empty gene field"),
        ("SET_A\tdesc\tG1\nSET_A\tdesc\tG2\n", 2, "appears twice"),
    ],
)
def test_read_gmt_rejects_malformed_lines(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = _write(tmp_path, "bad.gmt", text)
    with pytest.raises(InputError) as caught:
        read_gmt(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"line {line}" in message
    assert fragment in message
    assert "How to fix" in message


def test_read_gmt_missing_and_empty(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_gmt(tmp_path / "absent.gmt")
    with pytest.raises(InputError, match="no gene sets"):
        read_gmt(_write(tmp_path, "empty.gmt", "\n\n"))
    bad = tmp_path / "latin1.gmt"
    bad.write_bytes(b"SET\tdesc\tG\xe91\n")
    with pytest.raises(InputError, match="UTF-8"):
        read_gmt(bad)


# --------------------------------------------------------------------------------------------
# Signature YAML


@pytest.mark.parametrize("species", ["human", "mouse"])
def test_signatures_load_with_exact_names(species: str) -> None:
    collection = read_signatures(signatures_path(), species)  # type: ignore[arg-type]
    assert collection.names == SIGNATURE_NAMES
    assert collection.name == "tme_signatures"
    assert re.fullmatch(r"\d{4}\.\d{2}", collection.version)
    assert len(collection.sha256) == 64
    for gene_set in collection.sets:
        assert gene_set.genes, gene_set.name
        assert gene_set.citation.strip(), gene_set.name
        assert gene_set.description.strip(), gene_set.name


def test_signature_single_genes_and_effector() -> None:
    human = read_signatures(signatures_path(), "human")
    mouse = read_signatures(signatures_path(), "mouse")
    for name, h, m in [
        ("ifng", "IFNG", "Ifng"),
        ("prf1", "PRF1", "Prf1"),
        ("gzmb", "GZMB", "Gzmb"),
        ("cd274", "CD274", "Cd274"),
    ]:
        assert human.get(name).genes == (h,)
        assert mouse.get(name).genes == (m,)
    assert set(human.get("effector").genes) == {"IFNG", "PRF1", "GZMB", "GZMA", "NKG7"}
    assert human.get("cytolytic_activity").genes == ("GZMA", "PRF1")
    assert set(human.get("ifng_6gene").genes) == {
        "IFNG",
        "STAT1",
        "IDO1",
        "CXCL10",
        "CXCL9",
        "HLA-DRA",
    }


def test_gep_has_18_published_weights() -> None:
    human = read_signatures(signatures_path(), "human").get("t_cell_inflamed_gep")
    mouse = read_signatures(signatures_path(), "mouse").get("t_cell_inflamed_gep")
    assert len(human.genes) == 18
    assert len(mouse.genes) == 18
    assert human.weights == GEP_WEIGHTS_HUMAN
    assert mouse.weights is not None
    assert sorted(mouse.weights) == sorted(mouse.genes)
    # Mouse weights are the human ones carried over gene by gene.
    assert [mouse.weights[g] for g in mouse.genes] == [human.weights[g] for g in human.genes]
    others = read_signatures(signatures_path(), "human").sets
    assert all(s.weights is None for s in others if s.name != "t_cell_inflamed_gep")


def test_mouse_signature_genes_look_like_mgi_symbols() -> None:
    mouse = read_signatures(signatures_path(), "mouse")
    hallmark_genes = {g for s in read_hallmarks("mouse").sets for g in s.genes}
    for gene_set in mouse.sets:
        for gene in gene_set.genes:
            # MGI capitalisation: first letter upper case, no fully upper-case human symbols.
            assert re.fullmatch(r"[A-Z][a-z0-9]+(-[A-Za-z0-9]+)?|H2-[A-Z][A-Za-z0-9]*", gene), gene
            assert gene not in {"H2-Ea"}, "H2-Ea is not expressed in C57BL/6"
    # Where a gene occurs in the mouse Hallmark file, the spelling agrees with it.
    lowered = {g.lower(): g for g in hallmark_genes}
    for gene in {g for s in mouse.sets for g in s.genes}:
        assert lowered.get(gene.lower(), gene) == gene


def test_every_mouse_signature_gene_in_example_cohort() -> None:
    mouse = read_signatures(signatures_path(), "mouse")
    hallmarks = read_hallmarks("mouse")
    counts = pd.read_csv(bundled_path("example/counts.tsv.gz"), sep="\t", usecols=["gene_id"])
    genes = set(counts["gene_id"])
    missing = {g for s in mouse.sets for g in s.genes} - genes
    assert not missing
    assert not {g for s in hallmarks.sets for g in s.genes} - genes


# --------------------------------------------------------------------------------------------
# Signature YAML validation


def _minimal(**overrides: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "name": "cd8",
        "description": "CD8 T cells",
        "citation": "Becht 2016",
        "human": ["CD8A", "CD8B"],
        "mouse": ["Cd8a", "Cd8b1"],
    }
    entry.update(overrides)
    return entry


def _yaml_file(tmp_path: Path, sets: list[dict[str, object]], **top: object) -> Path:
    document: dict[str, object] = {"version": "1.0", "description": "test", "sets": sets}
    document.update(top)
    return _write(tmp_path, "sigs.yaml", yaml.safe_dump(document, sort_keys=False))


def test_user_signature_file(tmp_path: Path) -> None:
    weights = {"human": {"CD8A": 0.5, "CD8B": 1}, "mouse": {"Cd8a": 0.5, "Cd8b1": 1}}
    path = _yaml_file(tmp_path, [_minimal(weights=weights)])
    collection = read_signatures(path, "mouse")
    assert collection.name == "sigs"
    assert collection.version == "1.0"
    assert collection.get("cd8").genes == ("Cd8a", "Cd8b1")
    assert collection.get("cd8").weights == {"Cd8a": 0.5, "Cd8b1": 1.0}


@pytest.mark.parametrize(
    ("sets", "top", "fragment"),
    [
        ([_minimal(citation="")], {}, "'citation' is missing or empty"),
        ([_minimal(weigths={})], {}, "unknown key(s) ['weigths']"),
        ([_minimal(mouse=None)], {}, "no 'mouse' gene list"),
        ([_minimal(mouse=["Cd8a", "Cd8a"])], {}, "more than once"),
        ([_minimal(mouse=["Cd8a", False])], {}, "not a gene symbol"),
        ([_minimal(name="8cd")], {}, "invalid"),
        ([_minimal(), _minimal()], {}, "used more than once"),
        ([_minimal(weights={"mouse": {"Cd8a": 1.0}})], {}, "do not match the gene list"),
        ([_minimal(weights={"human": {"CD8A": 1.0, "CD8B": 1.0}})], {}, "no 'mouse' mapping"),
        ([_minimal(weights={"mouse": {"Cd8a": "x", "Cd8b1": 1}})], {}, "must be numbers"),
        ([_minimal()], {"version": 2026.1}, "quoted string"),
        ([], {}, "non-empty list"),
    ],
)
def test_signature_file_errors(
    tmp_path: Path, sets: list[dict[str, object]], top: dict[str, object], fragment: str
) -> None:
    path = _yaml_file(tmp_path, sets, **top)
    with pytest.raises(InputError) as caught:
        read_signatures(path, "mouse")
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value)


def test_signature_file_not_yaml(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.yaml", "version: '1'\nsets: [\n")
    with pytest.raises(InputError, match="not valid YAML"):
        read_signatures(path, "human")


def test_species_checked() -> None:
    with pytest.raises(ValueError, match="species"):
        read_signatures(signatures_path(), "rat")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="species"):
        hallmark_path("rat")  # type: ignore[arg-type]


def test_bundled_path_missing() -> None:
    with pytest.raises(FileNotFoundError, match="workflow/resources"):
        bundled_path("genesets/nothing.gmt")


def test_user_gene_sets_add_to_or_replace_the_bundled_signatures(tmp_path):
    from tmeseq.genesets import (
        combine,
        read_gene_sets,
        read_signatures,
        signatures_path,
    )

    gmt = tmp_path / "mine.gmt"
    gmt.write_text("tregs\tmy Treg list\tFoxp3\tIl2ra\tCtla4\nexhaustion\t-\tPdcd1\tHavcr2\tTox\n")
    bundled = read_signatures(signatures_path(), "mouse")
    user = read_gene_sets(gmt, "mouse")
    combined = combine(bundled, [user])
    assert combined.get("tregs").genes == ("Foxp3", "Il2ra", "Ctla4")
    assert combined.get("exhaustion").genes == ("Pdcd1", "Havcr2", "Tox")
    assert combined.get("nk_cells") == bundled.get("nk_cells")
    assert combined.sha256 == f"{bundled.sha256}+{user.sha256}"
    only = combine(bundled, [user], replace=True)
    assert only.names == ("tregs", "exhaustion")


# --------------------------------------------------------------------------------------------
# What a run tests, from explicit paths


def test_signature_collection_adds_or_replaces_user_sets(tmp_path: Path) -> None:
    gmt = _write(tmp_path, "mine.gmt", "tregs\tmine\tFoxp3\tIl2ra\nextra\t-\tPdcd1\tTox\n")
    bundled = read_signatures(signatures_path(), "mouse")
    assert signature_collection(signatures_path(), "mouse") == bundled
    added = signature_collection(signatures_path(), "mouse", [gmt])
    assert added.names == (*bundled.names, "extra")
    assert added.get("tregs").genes == ("Foxp3", "Il2ra")
    assert added.source == f"{signatures_path()};{gmt}"
    only = signature_collection(signatures_path(), "mouse", [gmt], replace=True)
    assert only.names == ("tregs", "extra")


def test_gsea_collections_order_and_sizes(tmp_path: Path) -> None:
    user = _write(tmp_path, "user.gmt", "set_a\t-\tA\tB\n")
    extra = _write(tmp_path, "extra.gmt", "set_b\t-\tC\tD\n")
    tested = gsea_collections(
        "human",
        hallmarks=hallmark_path("human"),
        signatures=signatures_path(),
        extra_signatures=[extra],
        replace_signatures=False,
        gmts=[user],
        min_size=15,
        signature_min_size=5,
    )
    assert [(c.name, size) for c, size in tested] == [
        ("hallmark_human", 15),
        ("tme_signatures", 5),
        ("user", 15),
    ]
    assert tested[0][0].sets[0].citation.startswith("Liberzon A")
    assert tested[1][0].names[-1] == "set_b"
    none = gsea_collections(
        "mouse",
        hallmarks=None,
        signatures=None,
        extra_signatures=[extra],
        replace_signatures=True,
        gmts=[user],
        min_size=10,
        signature_min_size=5,
    )
    assert [(c.name, size) for c, size in none] == [("user", 10)]


def test_read_hallmarks_from_an_explicit_path(tmp_path: Path) -> None:
    gmt = _write(tmp_path, "h.all.v9.1.symbols.gmt", "HALLMARK_X\t-\tA\tB\n")
    collection = read_hallmarks("human", gmt)
    assert (collection.name, collection.version, collection.names) == (
        "hallmark_human",
        "9.1",
        ("HALLMARK_X",),
    )
    assert collection.sets[0].citation == HALLMARK_CITATION


def test_resources_found_in_the_named_source_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SOURCE_ENV, str(tmp_path))
    assert source_tree() == tmp_path
    with pytest.raises(FileNotFoundError) as caught:
        bundled_path(SIGNATURES_FILE)
    message = str(caught.value)
    assert f"workflow/resources/{SIGNATURES_FILE} not found at {tmp_path}" in message
    assert "pip install -e ." in message
    target = tmp_path / "workflow" / "resources" / SIGNATURES_FILE
    target.parent.mkdir(parents=True)
    target.write_text("version: '1'\n")
    assert bundled_path(SIGNATURES_FILE) == target


def test_resources_found_in_the_installed_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without TMESEQ_SOURCE, the checkout pip recorded for the editable install."""
    monkeypatch.delenv(SOURCE_ENV, raising=False)
    tree = source_tree()
    assert tree is not None
    assert (tree / "pyproject.toml").is_file()
    assert signatures_path() == tree / "workflow" / "resources" / SIGNATURES_FILE
    assert hallmark_path("mouse").name == Path(HALLMARK_FILES["mouse"]).name
