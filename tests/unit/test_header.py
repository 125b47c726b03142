"""The cheap header peek names the samples exactly as the full import does."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from tmeseq.errors import InputError
from tmeseq.readers import header as header_module
from tmeseq.readers import read_counts
from tmeseq.readers.header import read_header

DATA = Path(__file__).resolve().parents[1] / "data" / "readers"
TX2GENE = DATA / "salmon" / "tx2gene.tsv"


def gzipped(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as raw, gzip.open(target, "wb") as packed:
        shutil.copyfileobj(raw, packed)
    return target


@pytest.mark.parametrize(
    ("relative", "fmt", "tx2gene"),
    [
        ("matrix/counts.tsv", "matrix", None),
        ("matrix/counts.csv", "auto", None),
        ("matrix/rownames.tsv", "matrix", None),
        ("featurecounts/counts.txt", "auto", None),
        ("featurecounts/no_program_line.tsv", "featurecounts", None),
        ("star/flat", "auto", None),
        ("star/nested", "star", None),
        ("star/flat/T-01.ReadsPerGene.out.tab", "star", None),
        ("htseq", "auto", None),
        ("rsem", "auto", None),
        ("nfcore/salmon.merged.gene_counts.tsv", "auto", None),
        ("nfcore/rsem.merged.gene_counts.tsv", "nfcore", None),
        ("nfcore/merged_gene_counts.txt", "auto", None),
        ("salmon/quants", "salmon", TX2GENE),
        ("kallisto/quants", "kallisto", TX2GENE),
    ],
)
def test_samples_and_genes_match_the_import(relative: str, fmt: str, tx2gene: Path | None):
    path = DATA / relative
    peeked = read_header(path, fmt)
    table = read_counts(path, fmt, tx2gene=tx2gene)
    assert peeked.format == table.format
    assert list(peeked.samples) == list(table.counts.columns)
    if table.format in ("salmon", "kallisto"):
        assert peeked.gene_ids == ()
    else:
        assert list(peeked.gene_ids) == list(table.counts.index)


def test_gzipped_matrix_with_bom_and_crlf(tmp_path: Path):
    source = tmp_path / "plain.csv"
    source.write_bytes('\ufeff"",T-01,"3 mice"\r\nG1,1,2\r\nG2,3,4\r\n'.encode())
    peeked = read_header(gzipped(source, tmp_path / "counts.dat"))
    assert peeked.samples == ("T-01", "3 mice")
    assert peeked.gene_ids == ("G1", "G2")


def test_only_the_first_genes_are_read(tmp_path: Path):
    lines = ["gene\ta\tb"] + [f"g{i}\t{i}\t{i}" for i in range(5000)]
    path = tmp_path / "counts.tsv"
    path.write_text("\n".join(lines) + "\n")
    peeked = read_header(path, n_genes=100)
    assert peeked.gene_ids == tuple(f"g{i}" for i in range(100))
    assert len(read_header(path).gene_ids) == 2000


def test_h5ad_names_without_reading_the_matrix(tmp_path: Path):
    obs = pd.DataFrame(index=["T-01", "3 mice"])
    var = pd.DataFrame(index=[f"ENSMUSG{i:011d}" for i in range(3)])
    path = tmp_path / "counts.h5ad"
    ad.AnnData(X=np.ones((2, 3)), obs=obs, var=var).write_h5ad(path)
    peeked = read_header(path)
    assert (peeked.format, peeked.samples) == ("h5ad", ("T-01", "3 mice"))
    assert peeked.gene_ids == tuple(var.index)


def test_corrupt_gzip_is_named(tmp_path: Path):
    path = tmp_path / "counts.tsv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00garbage" * 20)
    with pytest.raises(InputError) as e:
        read_header(path, "matrix")
    assert str(e.value).startswith(f"{path}: could not be read as text")


def test_repeated_sample_column_is_named(tmp_path: Path):
    path = tmp_path / "counts.tsv"
    path.write_text("gene\ta\ta\ng1\t1\t2\n")
    with pytest.raises(InputError, match="has the sample name 'a' more than once"):
        read_header(path)


def test_permission_denied_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``os.access`` as for a user without read permission (root, who runs the tests in CI,
    is never denied; the end-to-end catalogue denies it for real)."""
    path = tmp_path / "counts.tsv"
    path.write_text("gene\ta\ng1\t1\n")
    monkeypatch.setattr(header_module.os, "access", lambda p, mode: Path(p) != path)
    with pytest.raises(InputError) as e:
        read_header(path)
    message = str(e.value)
    assert message.startswith(f"{path}: cannot be read: permission denied")
    assert "chmod a+r" in message
    assert os.access(path, os.R_OK) is False


def test_unreadable_per_sample_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "star"
    shutil.copytree(DATA / "star" / "flat", folder)
    denied = folder / "T-01.ReadsPerGene.out.tab"
    monkeypatch.setattr(header_module.os, "access", lambda p, mode: Path(p) != denied)
    with pytest.raises(InputError, match=f"{denied}: cannot be read: permission denied"):
        read_header(folder, "star")


def test_featurecounts_summary_is_refused():
    with pytest.raises(InputError, match="is a featureCounts summary"):
        read_header(DATA / "featurecounts" / "counts.txt.summary")


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("matrix/counts.tsv", False),
        ("featurecounts/counts.txt", True),
        ("nfcore/salmon.merged.gene_counts.tsv", True),
        ("nfcore/rsem.merged.gene_counts.tsv", False),
        ("star/flat", False),
    ],
)
def test_whether_the_counts_carry_symbols(relative: str, expected: bool):
    assert read_header(DATA / relative).has_symbols is expected


def test_folder_where_a_file_is_expected(tmp_path: Path):
    with pytest.raises(InputError, match="is a folder, but a count matrix is a single file"):
        read_header(tmp_path, "matrix")
