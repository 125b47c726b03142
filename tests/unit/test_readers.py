"""Count-matrix readers: every format's real layout, values, sample names, detection, errors,
gene lengths, and what the import keeps of them (lengths, biotypes, bundled symbols)."""

from __future__ import annotations

import gzip
import logging
import shutil
import socket
from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from tmeseq.errors import InputError
from tmeseq.idmap import read_id_table
from tmeseq.importer import ImportSettings, import_counts, write_h5ad
from tmeseq.readers import FORMATS, CountTable, detect_format, read_counts
from tmeseq.readers.featurecounts import sample_name

DATA = Path(__file__).resolve().parents[1] / "data" / "readers"
SALMON = DATA / "salmon"
TX2GENE = SALMON / "tx2gene.tsv"

#: Gene sums of the salmon/kallisto fixtures (transcript ENST...99 is in no map).
GENE_SUMS = {
    ("ENSG00000000010", "S1"): 62.5,
    ("ENSG00000000020", "S1"): 7.0,
    ("ENSG00000000030", "S1"): 3.25,
    ("ENSG00000000010", "3 mice"): 30.25,
    ("ENSG00000000020", "3 mice"): 0.0,
    ("ENSG00000000030", "3 mice"): 3.0,
}
TRANSCRIPTS = [
    "ENST00000000001.1",
    "ENST00000000002.3",
    "ENST00000000003.1",
    "ENST00000000004.2",
    "ENST00000000005.1",
    "ENST00000000099.1",
]
EST_COUNTS = {
    "S1": [50.0, 12.5, 7.0, 3.25, 0.0, 4.0],
    "3 mice": [10.0, 20.25, 0.0, 1.0, 2.0, 9.0],
}


def gzipped(source: Path, target: Path) -> Path:
    """Copy ``source`` to ``target`` gzip-compressed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as raw, gzip.open(target, "wb") as packed:
        shutil.copyfileobj(raw, packed)
    return target


def write_abundance_h5(path: Path, counts: list[float]) -> Path:
    """An abundance.h5 laid out as kallisto writes it (fixed-length strings, /aux group)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width = max(len(t) for t in TRANSCRIPTS) + 1
    with h5py.File(path, "w") as handle:
        handle.create_dataset("est_counts", data=np.asarray(counts, dtype=np.float64))
        aux = handle.create_group("aux")
        aux.create_dataset("ids", data=np.array(TRANSCRIPTS, dtype=f"S{width}"))
        aux.create_dataset("lengths", data=np.array([1000, 1200, 800, 500, 2000, 300], np.int32))
        aux.create_dataset("eff_lengths", data=np.array([850, 1050, 650, 350, 1850, 150.0]))
        aux.create_dataset("num_bootstrap", data=np.array([0], np.int32))
        aux.create_dataset("num_processed", data=np.array([100], np.int32))
        aux.create_dataset("kallisto_version", data=np.array([b"0.50.1"]))
        aux.create_dataset("index_version", data=np.array([13], np.int32))
        aux.create_dataset("call", data=np.array([b"kallisto quant -i idx -o out r1 r2"]))
        aux.create_dataset("start_time", data=np.array([b"Mon Jan  1 00:00:00 2024"]))
    return path


@pytest.fixture
def kallisto_h5(tmp_path: Path) -> Path:
    """A folder of per-sample kallisto outputs holding only abundance.h5."""
    for sample, counts in EST_COUNTS.items():
        write_abundance_h5(tmp_path / "quants" / sample / "abundance.h5", counts)
    return tmp_path / "quants"


@pytest.fixture
def h5ad_file(tmp_path: Path) -> Path:
    """Samples x genes AnnData: normalised X, raw counts in a sparse layers['counts']."""
    raw = np.array([[5, 0, 12], [7, 3, 0]], dtype=np.int64)
    adata = ad.AnnData(
        X=raw / raw.sum(axis=1, keepdims=True),
        obs=pd.DataFrame(index=["T-01", "1"]),
        var=pd.DataFrame({"gene_name": ["TSPAN6", "TNMD", "DPM1"]}, index=["G1", "G2", "G3"]),
    )
    adata.layers["counts"] = sparse.csr_matrix(raw)
    path = tmp_path / "cohort.h5ad"
    adata.write_h5ad(path)
    return path


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to open a network connection fail loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def value(table: CountTable, gene: str, sample: str) -> object:
    return table.counts.loc[gene, sample]


# --- matrix ---------------------------------------------------------------------------------


def test_matrix_tsv_values_and_awkward_sample_names() -> None:
    table = read_counts(DATA / "matrix" / "counts.tsv", "matrix")
    assert table.format == "matrix"
    assert table.estimated is False
    assert table.symbols is None
    assert list(table.counts.columns) == ["T-01", "3 mice", "a.b", "1"]
    assert all(type(c) is str for c in table.counts.columns)
    assert table.counts.index.name == "gene_id"
    assert table.counts.shape == (5, 4)
    assert value(table, "ENSG00000000003", "T-01") == 1021
    assert value(table, "ENSG00000000419", "1") == 1001
    assert value(table, "ENSG00000000005", "3 mice") == 3
    assert table.sources == dict.fromkeys(
        ["T-01", "3 mice", "a.b", "1"], str(DATA / "matrix" / "counts.tsv")
    )


def test_matrix_csv_with_quotes_keeps_dotted_names() -> None:
    table = read_counts(DATA / "matrix" / "counts.csv", "matrix")
    assert list(table.counts.columns) == ["T-01", "T-02", "a.b.1"]
    assert list(table.counts.index) == ["ENSG00000000003", "ENSG00000000005", "ENSG00000000419"]
    assert value(table, "ENSG00000000005", "a.b.1") == 2


def test_matrix_gzip_is_recognised_by_content(tmp_path: Path) -> None:
    packed = gzipped(DATA / "matrix" / "counts.tsv", tmp_path / "counts.dat")
    table = read_counts(packed)
    assert table.format == "matrix"
    assert value(table, "ENSG00000000457", "a.b") == 305


def test_matrix_header_without_row_name_field() -> None:
    table = read_counts(DATA / "matrix" / "rownames.tsv", "matrix")
    assert list(table.counts.columns) == ["S1", "S2"]
    assert value(table, "GENE3", "S2") == 42


def test_matrix_values_are_not_cleaned() -> None:
    counts = read_counts(DATA / "matrix" / "untouched.tsv", "matrix").counts
    assert list(counts.index) == ["G1", "G2", "G2", "NA", "G5"]
    assert counts.index.tolist().count("G2") == 2
    assert counts["S1"].dtype == object
    assert counts["S1"].iloc[1] == "abc"
    assert counts["S1"].iloc[2] == -4
    assert pd.isna(counts["S1"].iloc[3])
    assert pd.isna(counts["S2"].iloc[2])
    assert counts["S2"].iloc[3] == 2.5
    assert counts["S2"].dtype == np.float64


def test_matrix_ragged_line_names_file_and_line() -> None:
    with pytest.raises(
        InputError, match=r"(?s)ragged\.tsv, line 3: has 2 columns where the header has 3"
    ) as error:
        read_counts(DATA / "matrix" / "ragged.tsv", "matrix")
    assert "How to fix" in str(error.value)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("duplicate_samples.tsv", r"duplicate_samples\.tsv.*sample name 'S1' more than once"),
        ("one_column.txt", r"one_column\.txt.*single column.*How to fix"),
    ],
)
def test_matrix_layout_errors(name: str, message: str) -> None:
    with pytest.raises(InputError, match="(?s)" + message):
        read_counts(DATA / "matrix" / name, "matrix")


def test_matrix_empty_sample_name_and_empty_file(tmp_path: Path) -> None:
    trailing = tmp_path / "trailing.tsv"
    trailing.write_text("gene\tS1\t\nG1\t4\t\n")
    with pytest.raises(InputError, match=r"(?s)trailing\.tsv.*sample without a name.*How to fix"):
        read_counts(trailing, "matrix")
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(InputError, match=r"(?s)empty\.tsv: is empty"):
        read_counts(empty, "matrix")
    header_only = tmp_path / "header.tsv"
    header_only.write_text("gene\tS1\n")
    with pytest.raises(InputError, match=r"(?s)header\.tsv: has a header but no data lines"):
        read_counts(header_only, "matrix")


# --- featureCounts --------------------------------------------------------------------------


def test_featurecounts_with_program_line_and_extra_attribute() -> None:
    path = DATA / "featurecounts" / "counts.txt"
    table = read_counts(path, "featurecounts")
    assert table.format == "featurecounts"
    assert table.estimated is False
    assert list(table.counts.columns) == ["T-01", "3 mice", "a.b"]
    assert list(table.counts.index)[:2] == ["ENSG00000223972", "ENSG00000227232"]
    assert table.counts.shape == (5, 3)
    for dropped in ("Chr", "Start", "End", "Strand", "Length", "gene_name"):
        assert dropped not in table.counts.columns
    assert value(table, "ENSG00000227232", "3 mice") == 30
    assert value(table, "ENSG00000186092", "a.b") == 388
    assert table.symbols is not None
    assert table.symbols["ENSG00000186092"] == "OR4F5"
    assert table.sources["T-01"] == str(path)


def test_featurecounts_length_column() -> None:
    lengths = read_counts(DATA / "featurecounts" / "counts.txt", "featurecounts").lengths
    assert lengths is not None
    assert lengths.source == "featureCounts Length column"
    assert lengths.per_sample is None
    assert lengths.per_gene.dtype == np.float64
    assert lengths.per_gene[:3].to_dict() == {
        "ENSG00000223972": 1735.0,
        "ENSG00000227232": 1351.0,
        "ENSG00000278267": 68.0,
    }


def test_featurecounts_without_program_line() -> None:
    table = read_counts(DATA / "featurecounts" / "no_program_line.tsv", "featurecounts")
    assert list(table.counts.columns) == ["S1", "S2"]
    assert value(table, "G2", "S2") == 21
    assert table.symbols is None


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("/data/bam/T-01_Aligned.sortedByCoord.out.bam", "T-01"),
        ("T-01Aligned.sortedByCoord.out.bam", "T-01"),
        ("results/3 mice.markdup.sorted.bam", "3 mice"),
        ("a.b.bam", "a.b"),
        ("S1.sorted.markdup.bam", "S1"),
        ("1.bam", "1"),
        ("C:\\bams\\S7.Aligned.out.sam", "S7"),
        ("plain", "plain"),
        (".sorted.bam", ".sorted"),
    ],
)
def test_featurecounts_sample_name_rule(column: str, expected: str) -> None:
    assert sample_name(column) == expected


def test_featurecounts_summary_is_refused() -> None:
    path = DATA / "featurecounts" / "counts.txt.summary"
    with pytest.raises(
        InputError, match=r"(?s)counts\.txt\.summary.*summary.*without the '\.summary'"
    ):
        read_counts(path, "featurecounts")
    with pytest.raises(InputError, match=r"(?s)is a featureCounts summary"):
        detect_format(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_header.tsv", r"bad_header\.tsv, line 1: .*missing Strand.*How to fix"),
        ("clash.tsv", r"clash\.tsv, header: .*'run1/S1\.bam', 'run2/S1\.sorted\.bam'.*'S1'"),
    ],
)
def test_featurecounts_layout_errors(name: str, message: str) -> None:
    with pytest.raises(InputError, match="(?s)" + message):
        read_counts(DATA / "featurecounts" / name, "featurecounts")


# --- STAR -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strand", "t01", "mice"),
    [("unstranded", 40, 55), ("forward", 2, 5), ("reverse", 38, 50)],
)
def test_star_strandedness_picks_the_column(strand: str, t01: int, mice: int) -> None:
    table = read_counts(DATA / "star" / "flat", "star", star_strand=strand)
    assert value(table, "ENSG00000227232", "T-01") == t01
    assert value(table, "ENSG00000227232", "3 mice") == mice


def test_star_flat_folder_names_and_dropped_rows() -> None:
    table = read_counts(DATA / "star" / "flat", "star")
    assert table.format == "star"
    assert table.estimated is False
    assert list(table.counts.columns) == ["3 mice", "T-01"]
    assert list(table.counts.index) == [
        "ENSG00000223972",
        "ENSG00000227232",
        "ENSG00000278267",
        "ENSG00000243485",
        "ENSG00000186092",
    ]
    assert not table.counts.index.str.startswith("N_").any()
    assert value(table, "ENSG00000186092", "T-01") == 300
    assert table.sources["T-01"].endswith("T-01.ReadsPerGene.out.tab")


def test_star_nested_folders_and_single_file() -> None:
    nested = read_counts(DATA / "star" / "nested", "star", star_strand="reverse")
    assert list(nested.counts.columns) == ["S1", "S2"]
    assert value(nested, "ENSG00000186092", "S2") == 390
    single = read_counts(DATA / "star" / "flat" / "T-01.ReadsPerGene.out.tab", "star")
    assert list(single.counts.columns) == ["T-01"]
    assert value(single, "ENSG00000243485", "T-01") == 7


def test_star_single_gzipped_file_named_after_its_folder(tmp_path: Path) -> None:
    source = DATA / "star" / "nested" / "S2" / "ReadsPerGene.out.tab"
    packed = gzipped(source, tmp_path / "S2" / "ReadsPerGene.out.tab.gz")
    table = read_counts(packed)
    assert table.format == "star"
    assert list(table.counts.columns) == ["S2"]
    assert value(table, "ENSG00000227232", "S2") == 55


def test_star_unknown_strandedness() -> None:
    with pytest.raises(
        InputError, match=r"(?s)counts\.star_strand: unknown STAR strandedness 'yes'.*'reverse'"
    ):
        read_counts(DATA / "star" / "flat", "star", star_strand="yes")


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("three_columns", r"S1\.ReadsPerGene\.out\.tab, line 1: has 3 columns.*How to fix"),
        ("no_statistics", r"S1\.ReadsPerGene\.out\.tab, lines 1-4: does not start with STAR's"),
    ],
)
def test_star_layout_errors(folder: str, message: str) -> None:
    with pytest.raises(InputError, match="(?s)" + message):
        read_counts(DATA / "star" / folder, "star")


def test_star_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(
        InputError,
        match=r"(?s)no sample files found \(looked for <sample>\.ReadsPerGene.*How to fix",
    ):
        read_counts(tmp_path, "star")


def test_per_sample_files_with_different_genes(tmp_path: Path) -> None:
    shutil.copy(
        DATA / "star" / "nested" / "S1" / "ReadsPerGene.out.tab",
        tmp_path / "A.ReadsPerGene.out.tab",
    )
    lines = (DATA / "star" / "nested" / "S2" / "ReadsPerGene.out.tab").read_text().splitlines()
    (tmp_path / "B.ReadsPerGene.out.tab").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(
        InputError,
        match=r"(?s)B\.ReadsPerGene\.out\.tab: lists different genes.*"
        r"1 missing \(e\.g\. 'ENSG00000186092'\)",
    ):
        read_counts(tmp_path, "star")


def test_per_sample_files_in_another_gene_order_are_aligned(tmp_path: Path) -> None:
    shutil.copy(
        DATA / "star" / "nested" / "S1" / "ReadsPerGene.out.tab",
        tmp_path / "A.ReadsPerGene.out.tab",
    )
    lines = (DATA / "star" / "nested" / "S2" / "ReadsPerGene.out.tab").read_text().splitlines()
    (tmp_path / "B.ReadsPerGene.out.tab").write_text("\n".join(lines[:4] + lines[4:][::-1]) + "\n")
    table = read_counts(tmp_path, "star")
    assert value(table, "ENSG00000227232", "B") == 55
    assert value(table, "ENSG00000223972", "B") == 2


# --- htseq-count ----------------------------------------------------------------------------


def test_htseq_folder_values_names_and_dropped_rows() -> None:
    table = read_counts(DATA / "htseq", "htseq")
    assert table.format == "htseq"
    assert table.estimated is False
    assert list(table.counts.columns) == ["1", "T-01", "a.b"]
    assert table.counts.shape == (5, 3)
    assert not table.counts.index.str.startswith("__").any()
    assert value(table, "ENSG00000000003", "T-01") == 1021
    assert value(table, "ENSG00000000419", "1") == 1001
    assert value(table, "ENSG00000000457", "a.b") == 305
    assert table.sources["a.b"].endswith("a.b.txt")


def test_htseq_gzipped_files(tmp_path: Path) -> None:
    for name, target in (("T-01.htseq.counts", "T-01.counts.gz"), ("a.b.txt", "a.b.txt.gz")):
        gzipped(DATA / "htseq" / name, tmp_path / target)
    table = read_counts(tmp_path)
    assert table.format == "htseq"
    assert list(table.counts.columns) == ["T-01", "a.b"]
    assert value(table, "ENSG00000000460", "a.b") == 102


def test_htseq_three_columns_is_a_layout_error() -> None:
    with pytest.raises(
        InputError, match=r"(?s)S1\.txt, line 1: has 3 columns; htseq-count output has 2"
    ):
        read_counts(DATA / "htseq_bad", "htseq")


# --- RSEM -----------------------------------------------------------------------------------


def test_rsem_expected_counts() -> None:
    table = read_counts(DATA / "rsem", "rsem")
    assert table.format == "rsem"
    assert table.estimated is True
    assert list(table.counts.columns) == ["T-01", "T-02"]
    assert table.counts.shape == (4, 2)
    assert value(table, "ENSG00000000419", "T-01") == pytest.approx(732.53)
    assert value(table, "ENSG00000000457", "T-02") == pytest.approx(305.0)
    assert table.sources["T-02"].endswith("T-02.genes.results")


def test_rsem_effective_lengths_per_sample() -> None:
    lengths = read_counts(DATA / "rsem", "rsem").lengths
    assert lengths is not None
    assert lengths.source == "RSEM effective_length column (per sample)"
    assert lengths.per_sample is not None
    assert list(lengths.per_sample.columns) == ["T-01", "T-02"]
    assert lengths.per_sample.loc["ENSG00000000003"].tolist() == [2030.12, 2026.0]
    assert lengths.per_sample.loc["ENSG00000000419"].tolist() == [835.5, 837.0]
    assert lengths.per_gene["ENSG00000000003"] == pytest.approx((2030.12 + 2026.0) / 2)
    assert lengths.per_gene.dtype == np.float64


def test_rsem_without_expected_count() -> None:
    with pytest.raises(
        InputError, match=r"(?s)S1\.genes\.results, line 1 \(header\): lacks .*'expected_count'"
    ):
        read_counts(DATA / "rsem_bad", "rsem")


def test_rsem_isoform_results_are_refused() -> None:
    with pytest.raises(
        InputError, match=r"(?s)isoforms\.results, line 1 \(header\): .*transcript-level"
    ):
        read_counts(DATA / "rsem" / "T-01.isoforms.results")


# --- salmon ---------------------------------------------------------------------------------


def assert_gene_sums(table: CountTable) -> None:
    assert table.estimated is True
    assert list(table.counts.columns) == ["3 mice", "S1"]
    assert sorted(table.counts.index) == ["ENSG00000000010", "ENSG00000000020", "ENSG00000000030"]
    for (gene, sample), expected in GENE_SUMS.items():
        assert value(table, gene, sample) == pytest.approx(expected)


@pytest.mark.parametrize("tx2gene", ["tx2gene.tsv", "genes.gtf", "tx2gene_nfcore.tsv"])
def test_salmon_sums_transcripts_to_genes(tx2gene: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tmeseq"):
        table = read_counts(SALMON / "quants", "salmon", tx2gene=SALMON / tx2gene)
    assert table.format == "salmon"
    assert_gene_sums(table)
    assert table.sources["S1"].endswith("S1/quant.sf")
    assert "1 of 6 transcripts are not in the transcript-to-gene map" in caplog.text
    assert not [r for r in caplog.records if r.name == "root"]


def test_salmon_lengths_are_abundance_weighted_effective_lengths() -> None:
    lengths = read_counts(SALMON / "quants", "salmon", tx2gene=TX2GENE).lengths
    assert lengths is not None and lengths.per_sample is not None
    assert lengths.source.startswith("salmon effective lengths via pytximport")
    # TPM-weighted EffectiveLength of the gene's transcripts (same TPMs in both samples):
    # gene 10: (100 * 850 + 20 * 1050) / 120; gene 20: one transcript; gene 30: (5 * 350 +
    # 1 * 1850) / 6 (transcript 77 of the map is not quantified)
    expected = {"ENSG00000000010": 106000 / 120, "ENSG00000000020": 650.0}
    expected["ENSG00000000030"] = 3600 / 6
    for gene, length in expected.items():
        assert lengths.per_sample.loc[gene].tolist() == pytest.approx([length, length])
        assert lengths.per_gene[gene] == pytest.approx(length)


def test_salmon_gzipped_gtf_and_quant(tmp_path: Path) -> None:
    for sample in ("S1", "3 mice"):
        gzipped(SALMON / "quants" / sample / "quant.sf", tmp_path / "q" / sample / "quant.sf.gz")
    gtf = gzipped(SALMON / "genes.gtf", tmp_path / "annotation.gtf.gz")
    assert_gene_sums(read_counts(tmp_path / "q", tx2gene=gtf))


def test_salmon_never_touches_the_network(no_network: None) -> None:
    table = read_counts(SALMON / "quants", "salmon", tx2gene=TX2GENE)
    assert value(table, "ENSG00000000010", "S1") == pytest.approx(62.5)


def test_pytximport_leaves_the_root_logger_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    read_counts(SALMON / "quants", "salmon", tx2gene=TX2GENE)
    assert root.handlers == []
    assert root.filters == []


def test_salmon_needs_tx2gene() -> None:
    with pytest.raises(
        InputError,
        match=r"(?s)counts\.tx2gene: salmon quantifies transcripts.*"
        r"How to fix: set counts\.tx2gene",
    ):
        read_counts(SALMON / "quants", "salmon")


@pytest.mark.parametrize(
    ("tx2gene", "message"),
    [
        (
            "tx2gene_conflict.tsv",
            r"tx2gene_conflict\.tsv, line 3: maps transcript 'ENST00000000001\.1' to two genes",
        ),
        (
            "tx2gene_other_ids.tsv",
            r"tx2gene_other_ids\.tsv, key counts\.tx2gene: has none of the 6 transcript IDs",
        ),
        ("missing.tsv", r"missing\.tsv, key counts\.tx2gene: does not exist"),
    ],
)
def test_salmon_tx2gene_errors(tx2gene: str, message: str) -> None:
    with pytest.raises(InputError, match="(?s)" + message):
        read_counts(SALMON / "quants", "salmon", tx2gene=SALMON / tx2gene)


def test_salmon_tx2gene_gff3_is_refused(tmp_path: Path) -> None:
    gff3 = tmp_path / "genes.gff3"
    gff3.write_text(
        "##gff-version 3\n"
        "1\tensembl\tmRNA\t1000\t3000\t.\t+\t.\tID=transcript:ENST00000000001;"
        "Parent=gene:ENSG00000000010\n"
    )
    with pytest.raises(
        InputError, match=r"(?s)genes\.gff3: is GFF3.*How to fix: set counts\.tx2gene"
    ):
        read_counts(SALMON / "quants", "salmon", tx2gene=gff3)


def test_salmon_samples_with_other_transcripts(tmp_path: Path) -> None:
    for sample in ("S1", "3 mice"):
        (tmp_path / sample).mkdir()
        shutil.copy(SALMON / "quants" / sample / "quant.sf", tmp_path / sample / "quant.sf")
    lines = (tmp_path / "S1" / "quant.sf").read_text().splitlines()
    (tmp_path / "S1" / "quant.sf").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(InputError, match=r"(?s)S1/quant\.sf: lists 5 transcripts that differ"):
        read_counts(tmp_path, "salmon", tx2gene=TX2GENE)


def test_salmon_quant_with_wrong_header(tmp_path: Path) -> None:
    (tmp_path / "S1").mkdir()
    (tmp_path / "S1" / "quant.sf").write_text("Name\tLength\tTPM\nENST1\t100\t5\n")
    with pytest.raises(
        InputError,
        match=r"(?s)quant\.sf, line 1 \(header\): "
        r"lacks the quant\.sf columns EffectiveLength, NumReads",
    ):
        read_counts(tmp_path, "salmon", tx2gene=TX2GENE)


# --- kallisto -------------------------------------------------------------------------------


def test_kallisto_abundance_tsv() -> None:
    table = read_counts(DATA / "kallisto" / "quants", "kallisto", tx2gene=TX2GENE)
    assert table.format == "kallisto"
    assert_gene_sums(table)
    assert table.sources["3 mice"].endswith("abundance.tsv")


def test_kallisto_lengths_per_sample() -> None:
    lengths = read_counts(DATA / "kallisto" / "quants", "kallisto", tx2gene=TX2GENE).lengths
    assert lengths is not None and lengths.per_sample is not None
    # weights est_counts / eff_length (pytximport's kallisto abundance), per sample
    s1_gene10 = (50 + 12.5) / (50 / 850 + 12.5 / 1050)
    mice_gene10 = (10 + 20.25) / (10 / 850 + 20.25 / 1050)
    mice_gene30 = (1 + 2) / (1 / 350 + 2 / 1850)
    table = lengths.per_sample
    assert table.loc["ENSG00000000010", "S1"] == pytest.approx(s1_gene10)
    assert table.loc["ENSG00000000010", "3 mice"] == pytest.approx(mice_gene10)
    assert table.loc["ENSG00000000030", "3 mice"] == pytest.approx(mice_gene30)
    assert table.loc["ENSG00000000030", "S1"] == pytest.approx(350.0)  # transcript 5: 0 reads
    assert lengths.per_gene["ENSG00000000010"] == pytest.approx((s1_gene10 + mice_gene10) / 2)


def test_kallisto_abundance_h5(kallisto_h5: Path, no_network: None) -> None:
    table = read_counts(kallisto_h5, "kallisto", tx2gene=SALMON / "genes.gtf")
    assert_gene_sums(table)
    assert table.sources["S1"].endswith("abundance.h5")


def test_kallisto_mixed_outputs(kallisto_h5: Path) -> None:
    (kallisto_h5 / "S1" / "abundance.h5").unlink()
    shutil.copy(DATA / "kallisto" / "quants" / "S1" / "abundance.tsv", kallisto_h5 / "S1")
    with pytest.raises(
        InputError,
        match=r"(?s)quants: mixes kallisto outputs: samples 3 mice have only abundance\.h5",
    ):
        read_counts(kallisto_h5, "kallisto", tx2gene=TX2GENE)


def test_kallisto_needs_tx2gene() -> None:
    with pytest.raises(InputError, match=r"(?s)counts\.tx2gene: kallisto quantifies transcripts"):
        read_counts(DATA / "kallisto" / "quants", "kallisto")


# --- nf-core --------------------------------------------------------------------------------


def test_nfcore_salmon_merged_gene_counts() -> None:
    path = DATA / "nfcore" / "salmon.merged.gene_counts.tsv"
    table = read_counts(path, "nfcore")
    assert table.format == "nfcore"
    assert table.estimated is True
    assert list(table.counts.columns) == ["T-01", "3 mice", "a.b"]
    assert "gene_name" not in table.counts.columns
    assert value(table, "ENSG00000000003", "T-01") == pytest.approx(1020.999)
    assert value(table, "ENSG00000000457", "3 mice") == pytest.approx(198.75)
    assert table.symbols is not None
    assert table.symbols.to_dict()["ENSG00000000419"] == "DPM1"
    assert table.sources == dict.fromkeys(["T-01", "3 mice", "a.b"], str(path))


def test_nfcore_gene_lengths_file_beside_the_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    counts = tmp_path / "salmon.merged.gene_counts_length_scaled.tsv"
    shutil.copy(DATA / "nfcore" / "salmon.merged.gene_counts.tsv", counts)
    assert read_counts(counts, "nfcore").lengths is None  # no lengths file yet
    rows = [
        "gene_id\tgene_name\ta.b\tT-01\t3 mice",  # samples in another order
        "ENSG00000000460\tFIRRM\t1\t2\t3",
        "ENSG00000000003\tTSPAN6\t2000\t2100.5\t2200",
        "ENSG00000000005\tTNMD\t900\t900\t900",
        "ENSG00000000419\tDPM1\t800\t810\t820",
        "ENSG00000000457\tSCYL3\tNA\t3000\t3100",
    ]
    (tmp_path / "salmon.merged.gene_lengths.tsv").write_text("\n".join(rows) + "\n")
    lengths = read_counts(counts, "nfcore").lengths
    assert lengths is not None and lengths.per_sample is not None
    assert lengths.source == "nf-core salmon.merged.gene_lengths.tsv (per sample)"
    assert list(lengths.per_sample.columns) == ["T-01", "3 mice", "a.b"]
    assert list(lengths.per_sample.index)[:2] == ["ENSG00000000003", "ENSG00000000005"]
    assert lengths.per_sample.loc["ENSG00000000003"].tolist() == [2100.5, 2200.0, 2000.0]
    assert lengths.per_gene["ENSG00000000457"] == pytest.approx(3050.0)  # NA skipped
    (tmp_path / "salmon.merged.gene_lengths.tsv").write_text("\n".join(rows[:-1]) + "\n")
    with caplog.at_level(logging.WARNING, logger="tmeseq"):
        assert read_counts(counts, "nfcore").lengths is None
    assert "does not list the same genes and samples" in caplog.text


def test_formats_without_lengths() -> None:
    for path, fmt in [
        (DATA / "matrix" / "counts.tsv", "matrix"),
        (DATA / "htseq", "htseq"),
        (DATA / "nfcore" / "rsem.merged.gene_counts.tsv", "nfcore"),
    ]:
        assert read_counts(path, fmt).lengths is None, fmt


def test_nfcore_rsem_merged_gene_counts() -> None:
    table = read_counts(DATA / "nfcore" / "rsem.merged.gene_counts.tsv", "nfcore")
    assert table.estimated is True
    assert table.symbols is None
    assert list(table.counts.columns) == ["S1", "S2"]
    assert value(table, "ENSG00000000419", "S2") == pytest.approx(640.25)


def test_nfcore_featurecounts_merged_table() -> None:
    table = read_counts(DATA / "nfcore" / "merged_gene_counts.txt", "nfcore")
    assert table.estimated is False
    assert list(table.counts.columns) == ["SRR001", "SRR002"]
    assert value(table, "ENSG00000227232", "SRR002") == 50
    assert table.symbols is not None
    assert table.symbols["ENSG00000227232"] == "WASH7P"


def test_nfcore_transcript_table_is_refused() -> None:
    with pytest.raises(
        InputError,
        match=r"(?s)transcript_counts\.tsv, line 1 \(header\): "
        r"is an nf-core transcript-level table",
    ):
        read_counts(DATA / "nfcore" / "salmon.merged.transcript_counts.tsv")


def test_nfcore_reader_refuses_a_plain_matrix() -> None:
    with pytest.raises(
        InputError,
        match=r"(?s)counts\.tsv, line 1 \(header\): does not start with the columns of an nf-core",
    ):
        read_counts(DATA / "matrix" / "counts.tsv", "nfcore")


# --- h5ad -----------------------------------------------------------------------------------


def test_h5ad_prefers_counts_layer_and_reads_symbols(h5ad_file: Path) -> None:
    table = read_counts(h5ad_file, "h5ad")
    assert table.format == "h5ad"
    assert table.estimated is False
    assert list(table.counts.columns) == ["T-01", "1"]
    assert list(table.counts.index) == ["G1", "G2", "G3"]
    assert value(table, "G3", "T-01") == 12
    assert value(table, "G2", "1") == 3
    assert table.symbols is not None
    assert table.symbols["G3"] == "DPM1"


def test_h5ad_dense_x_without_layer(tmp_path: Path) -> None:
    adata = ad.AnnData(
        X=np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
        obs=pd.DataFrame(index=["a.b", "3 mice", "T-01"]),
        var=pd.DataFrame(index=["G1", "G2"]),
    )
    path = tmp_path / "dense.h5ad"
    adata.write_h5ad(path)
    table = read_counts(path)
    assert table.format == "h5ad"
    assert list(table.counts.columns) == ["a.b", "3 mice", "T-01"]
    assert value(table, "G2", "T-01") == 6
    assert table.symbols is None


# --- detection and dispatch -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("matrix/counts.tsv", "matrix"),
        ("matrix/counts.csv", "matrix"),
        ("matrix/rownames.tsv", "matrix"),
        ("featurecounts/counts.txt", "featurecounts"),
        ("featurecounts/no_program_line.tsv", "featurecounts"),
        ("star/flat", "star"),
        ("star/nested", "star"),
        ("star/flat/T-01.ReadsPerGene.out.tab", "star"),
        ("htseq", "htseq"),
        ("htseq/a.b.txt", "htseq"),
        ("rsem", "rsem"),
        ("rsem/T-01.genes.results", "rsem"),
        ("salmon/quants", "salmon"),
        ("salmon/quants/S1", "salmon"),
        ("salmon/quants/S1/quant.sf", "salmon"),
        ("kallisto/quants", "kallisto"),
        ("kallisto/quants/S1/abundance.tsv", "kallisto"),
        ("nfcore/salmon.merged.gene_counts.tsv", "nfcore"),
        ("nfcore/rsem.merged.gene_counts.tsv", "nfcore"),
        ("nfcore/merged_gene_counts.txt", "nfcore"),
    ],
)
def test_detect_format_for_every_fixture(relative: str, expected: str) -> None:
    assert detect_format(DATA / relative) == expected


def test_detect_binary_formats(h5ad_file: Path, kallisto_h5: Path) -> None:
    assert detect_format(h5ad_file) == "h5ad"
    assert detect_format(kallisto_h5) == "kallisto"
    assert detect_format(kallisto_h5 / "S1" / "abundance.h5") == "kallisto"


def test_auto_reads_and_logs_why(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tmeseq.readers"):
        table = read_counts(DATA / "featurecounts" / "counts.txt")
    assert table.format == "featurecounts"
    assert "Detected featurecounts counts" in caplog.text
    assert "first line starts with '# Program:featureCounts'" in caplog.text


def test_folder_with_several_kinds_is_resolved_by_fixed_order(tmp_path: Path) -> None:
    shutil.copytree(SALMON / "quants", tmp_path, dirs_exist_ok=True)
    shutil.copy(DATA / "star" / "flat" / "T-01.ReadsPerGene.out.tab", tmp_path)
    assert detect_format(tmp_path) == "salmon"
    star_only = read_counts(tmp_path, "star")
    assert list(star_only.counts.columns) == ["T-01"]


def test_detection_failure_lists_what_was_looked_for(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("just notes\n")
    with pytest.raises(
        InputError,
        match=r"(?s)looked for per-sample salmon <sample>/quant\.sf;.*"
        r"How to fix: set counts\.format",
    ):
        detect_format(tmp_path)
    with pytest.raises(
        InputError, match=r"(?s)notes\.md: is not in a count format.*a featureCounts table"
    ):
        detect_format(tmp_path / "notes.md")


def test_spreadsheets_and_binary_files_are_refused(tmp_path: Path) -> None:
    workbook = tmp_path / "counts.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(InputError, match=r"(?s)counts\.xlsx: is a zip archive.*export the sheet"):
        read_counts(workbook)
    with pytest.raises(InputError, match=r"(?s)counts\.xlsx: is a zip archive"):
        read_counts(workbook, "matrix")
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes("gene\tS\xe9\nG1\t1\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"(?s)latin1\.tsv: could not be read as text.*UTF-8"):
        read_counts(latin1, "matrix")


def test_unknown_format_and_missing_path() -> None:
    with pytest.raises(
        InputError, match=r"(?s)counts\.format: unknown count format 'csv'.*matrix, featurecounts"
    ):
        read_counts(DATA / "matrix" / "counts.tsv", "csv")
    with pytest.raises(
        InputError, match=r"(?s)nowhere\.tsv: does not exist.*How to fix: check counts\.path"
    ):
        read_counts(DATA / "nowhere.tsv")


def test_single_file_format_given_a_folder() -> None:
    with pytest.raises(
        InputError, match=r"(?s)matrix: is a folder, but a count matrix is a single file"
    ):
        read_counts(DATA / "matrix", "matrix")


def test_formats_constant() -> None:
    assert FORMATS == (
        "matrix",
        "featurecounts",
        "star",
        "htseq",
        "salmon",
        "kallisto",
        "rsem",
        "nfcore",
        "h5ad",
    )


# --- import: gene lengths, biotypes and bundled symbols in counts.h5ad -------------------------

N_IMPORT_GENES = 120
"""Genes of the import cohorts (the import needs at least 100 with counts)."""


def import_genes(prefix: str = "ENSG") -> list[str]:
    return [f"{prefix}{i:011d}" for i in range(1, N_IMPORT_GENES + 1)]


def import_values(samples: int) -> np.ndarray:
    return (np.arange(N_IMPORT_GENES * samples).reshape(N_IMPORT_GENES, samples) % 37) + 1


def write_sheet(path: Path, samples: list[str], columns: list[str] | None = None) -> Path:
    sheet = pd.DataFrame({"sample": samples, "arm": ["a", "b"] * (len(samples) // 2)})
    if columns is not None:
        sheet["count_column"] = columns
    sheet.to_csv(path, sep="\t", index=False)
    return path


def test_import_keeps_featurecounts_lengths(tmp_path: Path) -> None:
    genes = import_genes()
    header = "Geneid\tChr\tStart\tEnd\tStrand\tLength\tA.bam\tB.bam\n"
    rows = [
        f"{g}\t1\t1\t10\t+\t{100 + i}\t{a}\t{b}\n"
        for i, (g, (a, b)) in enumerate(zip(genes, import_values(2), strict=True))
    ]
    (tmp_path / "fc.txt").write_text(header + "".join(rows))
    sheet = write_sheet(tmp_path / "s.tsv", ["A", "B"])
    adata = import_counts(tmp_path / "fc.txt", sheet, ImportSettings(format="featurecounts"))
    assert adata.var["length"].dtype == np.float64
    assert adata.var["length"].tolist() == [100.0 + i for i in range(N_IMPORT_GENES)]
    assert "length" not in adata.layers
    assert adata.uns["tmeseq"]["import"]["length_source"] == "featureCounts Length column"
    assert "biotype" not in adata.var.columns
    assert adata.uns["tmeseq"]["import"]["annotation_source"] == ""


def test_import_keeps_per_sample_rsem_lengths_through_count_columns(tmp_path: Path) -> None:
    genes = import_genes()
    values = import_values(3)
    for column, name in enumerate(["run1", "run2", "run3"]):
        rows = "".join(
            f"{g}\tT{i}\t1000\t{500 + 10 * i + column}\t{values[i, column]}\t1\t1\n"
            for i, g in enumerate(genes)
        )
        header = "gene_id\ttranscript_id(s)\tlength\teffective_length\texpected_count\tTPM\tFPKM\n"
        (tmp_path / f"{name}.genes.results").write_text(header + rows)
    # the sheet names two samples in the other order, through their count columns (run3 is
    # not in the sheet: ignored, also in the mean length)
    sheet = write_sheet(tmp_path / "s.tsv", ["second", "first"], ["run2", "run1"])
    adata = import_counts(tmp_path, sheet, ImportSettings(format="rsem"))
    assert list(adata.obs_names) == ["second", "first"]
    layer = adata.layers["length"]
    assert layer.shape == adata.shape and layer.dtype == np.float64
    assert layer[:, 0].tolist() == [501.0, 500.0]  # run2 then run1
    assert adata.var["length"].iloc[3] == pytest.approx(530.5)
    assert adata.uns["tmeseq"]["import"]["length_source"].startswith("RSEM effective_length")
    write_h5ad(adata, tmp_path / "out" / "counts.h5ad")
    back = ad.read_h5ad(tmp_path / "out" / "counts.h5ad")
    np.testing.assert_array_equal(back.layers["length"], layer)


def test_import_with_gtf_takes_exon_union_lengths_and_biotypes(tmp_path: Path) -> None:
    genes = import_genes()
    counts = pd.DataFrame(import_values(2), index=pd.Index(genes, name="gene_id"))
    counts.columns = ["A", "B"]
    counts.index = [f"{g}.2" for g in genes]  # versioned in the counts, not in the GTF
    counts.to_csv(tmp_path / "counts.tsv", sep="\t")
    lines = []
    for i, gene in enumerate(genes[:-1]):  # the last gene is not in the GTF
        attrs = f'gene_id "{gene}"; gene_name "G{i}"; gene_type "lncRNA";'
        lines.append(f"chr1\tsrc\tgene\t1\t500\t.\t+\t.\t{attrs}\n")
        exon = f'{attrs} transcript_id "T{i}";'
        lines.append(f"chr1\tsrc\texon\t1\t100\t.\t+\t.\t{exon}\n")
        lines.append(f"chr1\tsrc\texon\t51\t{150 + i}\t.\t+\t.\t{exon}\n")
    (tmp_path / "genes.gtf").write_text("".join(lines))
    sheet = write_sheet(tmp_path / "s.tsv", ["A", "B"])
    settings = ImportSettings(annotation=str(tmp_path / "genes.gtf"), species="human")
    adata = import_counts(tmp_path / "counts.tsv", sheet, settings)
    var = adata.var
    assert var["symbol"].iloc[0] == "G0" and var["biotype"].iloc[0] == "lncRNA"
    assert var["length"].iloc[:3].tolist() == [150.0, 151.0, 152.0]  # 1..150+i, overlap once
    assert pd.isna(var["length"].iloc[-1]) and pd.isna(var["biotype"].iloc[-1])
    provenance = adata.uns["tmeseq"]["import"]
    assert provenance["length_source"] == f"exon-union lengths from {tmp_path / 'genes.gtf'}"
    assert provenance["annotation_source"] == str(tmp_path / "genes.gtf")
    assert provenance["id_type"] == "ensembl_human"


def test_import_without_annotation_uses_the_bundled_table(tmp_path: Path) -> None:
    table = read_id_table("entrez_human").frame
    genes = list(table.index[:N_IMPORT_GENES])
    counts = pd.DataFrame(import_values(2), index=pd.Index(genes, name="gene_id"))
    counts.columns = ["A", "B"]
    counts.to_csv(tmp_path / "counts.tsv", sep="\t")
    sheet = write_sheet(tmp_path / "s.tsv", ["A", "B"])
    adata = import_counts(tmp_path / "counts.tsv", sheet, ImportSettings(species="human"))
    assert adata.var["symbol"].iloc[0] == "A1BG"  # Entrez 1
    assert adata.var["biotype"].iloc[0] == "protein-coding"
    provenance = adata.uns["tmeseq"]["import"]
    assert provenance["id_type"] == "entrez"
    assert provenance["annotation_source"].startswith(
        "bundled workflow/resources/annotation/human_entrez.tsv.gz (NCBI Gene"
    )
    assert (
        "from annotation workflow/resources/annotation/human_entrez"
        in (provenance["annotation_summary"])
    )
    # without a species, nothing is looked up
    plain = import_counts(tmp_path / "counts.tsv", sheet, ImportSettings())
    assert (
        plain.var["symbol"].iloc[0] == "1" and plain.uns["tmeseq"]["import"]["id_type"] == "entrez"
    )
