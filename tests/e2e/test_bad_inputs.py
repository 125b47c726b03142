"""The catalogue of bad inputs: each breaks one thing in a small valid cohort and runs the real
workflow, which must stop with one message, no traceback, before any DE job, leaving nothing
half-made.

Every row of :data:`CATALOGUE` names what it breaks, the message's distinctive fragment (which
must appear exactly once) and the fragments that locate the problem (the file, the row, column,
key or value). Most problems are caught when the workflow loads (no job runs, no
``results/`` folder appears); problems in the count values can only be seen by reading the
whole table, in the import job, which then leaves only its log.

Permission cases deny read access for real: as root (CI), snakemake runs without the
capabilities that let root read any file (``setpriv`` drops ``CAP_DAC_OVERRIDE`` and
``CAP_DAC_READ_SEARCH``), so ``chmod 000`` holds.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pytest

from tests.e2e.runner import snakemake_command
from tests.helpers import DATA, gene_id, small_counts, write_config

pytestmark = pytest.mark.e2e

COHORT = "bad"
SAMPLES = ["s1", "s2", "s3", "s4", "s5", "s6"]
ARMS = ["ctrl", "trt"] * 3
ROWS = list(zip(SAMPLES, ARMS, strict=True))
CONTRAST = {"name": "trt_vs_ctrl", "variable": "arm", "test": "trt", "reference": "ctrl"}
#: Capabilities that let root read files whatever their mode; dropped for permission cases.
DAC_CAPS = "-dac_override,-dac_read_search"

Break = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One bad input.

    Attributes
    ----------
    id : str
        The test id.
    breaks : callable
        Edits the valid cohort in its folder.
    message : str
        The distinctive part of the message: must appear exactly once.
    names : tuple of str
        Fragments that locate the problem (file, row, column, key, value).
    stage : {"load", "import"}
        Where it is caught: when the workflow loads, or in the import job.
    unprivileged : bool
        Run snakemake without the capabilities that let root read unreadable files.
    """

    id: str
    breaks: Break
    message: str
    names: tuple[str, ...]
    stage: Literal["load", "import"] = "load"
    unprivileged: bool = False


# -- the valid cohort and ways to break it ----------------------------------------------------


def valid_cohort(root: Path) -> None:
    """6 samples x 300 genes (mouse Ensembl IDs), arms ctrl/trt, one contrast."""
    small_counts(SAMPLES).to_csv(root / "counts.tsv", sep="\t")
    pd.DataFrame({"sample": SAMPLES, "arm": ARMS}).to_csv(
        root / "samples.tsv", sep="\t", index=False
    )
    configure()(root)


def configure(**overrides: Any) -> Break:
    """Write the cohort's config with top-level keys overridden (``de`` merged key by key)."""

    def write(root: Path) -> None:
        de = {"design": "~ arm", "contrasts": [CONTRAST], **overrides.get("de", {})}
        settings = {"cohort": COHORT, "gsea": {"hallmarks": False}, **overrides, "de": de}
        write_config(root / "config.yaml", **settings)

    return write


def config_text(old: str, new: str, **overrides: Any) -> Break:
    """Write the config (with ``overrides``), then replace ``old`` by ``new`` in its text."""

    def edit(root: Path) -> None:
        configure(**overrides)(root)
        path = root / "config.yaml"
        text = path.read_text()
        assert old in text, text
        path.write_text(text.replace(old, new))

    return edit


def sheet(**columns: list[str]) -> Break:
    """Replace the sample sheet by ``columns`` (default: the valid samples and arms)."""

    def write(root: Path) -> None:
        table = {"sample": SAMPLES, "arm": ARMS, **columns}
        pd.DataFrame(table).to_csv(root / "samples.tsv", sep="\t", index=False)

    return write


def file(name: str, content: str | bytes, **overrides: Any) -> Break:
    """Write ``name`` in the cohort folder (and the config with ``overrides``, if any)."""

    def write(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        path.write_bytes(data)
        if overrides:
            configure(**overrides)(root)

    return write


def counts(edit: Callable[[pd.DataFrame], pd.DataFrame], *, line_end: str = "\n") -> Break:
    """Rewrite counts.tsv after ``edit`` (the values as objects, so text can go in)."""

    def write(root: Path) -> None:
        table = small_counts(SAMPLES).astype(object)
        edit(table).to_csv(root / "counts.tsv", sep="\t", lineterminator=line_end)

    return write


def cell(gene: int, sample: str, value: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(table: pd.DataFrame) -> pd.DataFrame:
        table.loc[gene_id(gene), sample] = value
        return table

    return edit


def counts_text(edit: Callable[[str], str]) -> Break:
    """Rewrite counts.tsv's text."""

    def write(root: Path) -> None:
        text = small_counts(SAMPLES).to_csv(sep="\t")
        (root / "counts.tsv").write_text(edit(text))

    return write


def both(*breaks: Break) -> Break:
    def run(root: Path) -> None:
        for each in breaks:
            each(root)

    return run


def unreadable(name: str, content: str | None = None, **overrides: Any) -> Break:
    """Make ``name`` unreadable (after writing ``content`` to it, if given)."""

    def deny(root: Path) -> None:
        if content is not None:
            file(name, content, **overrides)(root)
        (root / name).chmod(0)

    return deny


def truncated_gzip(root: Path) -> None:
    """A gzipped matrix cut short: its first lines decompress, its end is missing."""
    table = small_counts(SAMPLES, n_genes=4000)
    packed = gzip.compress(table.to_csv(sep="\t").encode(), mtime=0)
    (root / "counts.tsv.gz").write_bytes(packed[: int(len(packed) * 0.8)])
    configure(counts={"path": "counts.tsv.gz"})(root)


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


GMT = "planted\tplanted genes\t" + "\t".join(gene_id(i) for i in range(1, 31)) + "\n"
ANNOTATION = "gene_id\tsymbol\n" + "".join(f"{gene_id(i)}\tGm{i}\n" for i in range(1, 301))

# -- the catalogue -----------------------------------------------------------------------------

CATALOGUE = [
    # config: schema, YAML traps, names
    Case(
        "unknown_key",
        config_text("species: mouse", "specis: mouse\nspecies: mouse"),
        "unknown key 'specis'",
        ("config.yaml, top level", "did you mean 'species'?"),
    ),
    Case(
        "unknown_nested_key",
        configure(de={"desing": "~ arm"}),
        "unknown key 'desing'",
        ("config.yaml, key de", "did you mean 'design'?"),
    ),
    Case(
        "species_not_allowed",
        configure(species="humna"),
        "'humna' is not one of human, mouse",
        ("config.yaml, key species", "did you mean 'human'?"),
    ),
    Case(
        "yaml_on_is_a_boolean",
        config_text("test: trt", "test: On"),
        "True (a boolean) should be of type string",
        ("config.yaml, key de.contrasts[0].test", "quote it"),
    ),
    Case(
        "yaml_yes_is_a_boolean",
        config_text("PLACEHOLDER", "yes", de={"reference_levels": {"arm": "PLACEHOLDER"}}),
        "True (a boolean) should be of type string",
        ("config.yaml, key de.reference_levels.arm", "quote it"),
    ),
    Case(
        "wrong_type",
        configure(qc={"n_top_genes": "many"}),
        "'many' should be of type integer",
        ("config.yaml, key qc.n_top_genes",),
    ),
    Case(
        "out_of_range",
        configure(de={"alpha": 1.5}),
        "1.5 is greater than or equal to the maximum of 1",
        ("config.yaml, key de.alpha",),
    ),
    Case(
        "unsafe_cohort_name",
        configure(cohort="../escape"),
        "cohort name '../escape' is not a safe folder name",
        ("config.yaml, key cohort",),
    ),
    Case(
        "reserved_contrast_name",
        configure(de={"contrasts": [{**CONTRAST, "name": "summary"}]}),
        "contrast name 'summary' is reserved",
        ("config.yaml, de.contrasts[0] ('summary')",),
    ),
    Case(
        "path_variable_in_counts_path",
        file("<results>/counts.tsv", "gene\ts1\n", counts={"path": "<results>/counts.tsv"}),
        "holds '<results>', which Snakemake reads as a path variable",
        ("config.yaml, key counts.path", "'<results>/counts.tsv'"),
    ),
    Case(
        "wildcard_braces_in_sheet_path",
        file("{batch}/samples.tsv", "sample\tarm\n", samples="{batch}/samples.tsv"),
        "holds '{', which Snakemake reads as a wildcard",
        ("config.yaml, key samples", "'{batch}/samples.tsv'"),
    ),
    Case(
        "unsafe_contrast_name",
        configure(de={"contrasts": [{**CONTRAST, "name": "a/b"}]}),
        "contrast name 'a/b' is not a safe file name",
        ("config.yaml, de.contrasts[0] ('a/b')",),
    ),
    Case(
        "contrast_name_twice",
        configure(de={"contrasts": [CONTRAST, CONTRAST]}),
        "contrast name 'trt_vs_ctrl' is used twice",
        ("config.yaml, de.contrasts[1] ('trt_vs_ctrl')",),
    ),
    Case(
        "counts_path_missing",
        configure(counts={"path": "count.tsv"}),
        "'count.tsv' does not exist",
        ("config.yaml, key counts.path",),
    ),
    Case(
        "gene_set_file_missing",
        configure(scores={"gene_sets": ["extra.gmt"]}),
        "gene-set file 'extra.gmt' does not exist",
        ("config.yaml, key scores.gene_sets[0]",),
    ),
    Case(
        "salmon_without_tx2gene",
        configure(counts={"path": "counts.tsv", "format": "salmon"}),
        "counts.format is 'salmon' but no transcript-to-gene map is given",
        ("config.yaml, key counts.tx2gene",),
    ),
    Case(
        "reference_levels_unknown_variable",
        configure(de={"reference_levels": {"amr": "ctrl"}}),
        "'amr' is not a variable of the design '~ arm'",
        ("config.yaml, key de.reference_levels.amr", "did you mean 'arm'?"),
    ),
    Case(
        "reference_levels_unknown_level",
        configure(de={"reference_levels": {"arm": "control"}}),
        "reference level 'control' does not occur in column 'arm'",
        ("config.yaml, key de.reference_levels.arm", "samples.tsv", "did you mean 'ctrl'?"),
    ),
    Case(
        "misspelt_contrast_level",
        config_text("test: trt", "test: trtt"),
        "test level 'trtt' does not occur in column 'arm'",
        ("config.yaml, de.contrasts[0] ('trt_vs_ctrl')", "did you mean 'trt'?"),
    ),
    Case(
        "contrast_variable_not_in_design",
        both(
            sheet(batch=["b1", "b2"] * 3),
            configure(
                de={
                    "contrasts": [
                        {**CONTRAST, "variable": "batch", "test": "b2", "reference": "b1"}
                    ]
                }
            ),
        ),
        "contrast variable 'batch' is not in the design '~ arm'",
        ("config.yaml, de.contrasts[0] ('trt_vs_ctrl')",),
    ),
    Case(
        "unknown_coefficient",
        configure(de={"contrasts": [{"name": "coef", "coefficients": {"arm[trt]": 1}}]}),
        "coefficient(s) 'arm[trt]' are not in the design matrix",
        ("config.yaml, de.contrasts[0] ('coef')", "'arm[T.trt]'"),
    ),
    Case(
        "design_unparsable",
        configure(de={"design": "~ arm +"}),
        "the design formula '~ arm +' cannot be parsed",
        ("config.yaml, key de.design",),
    ),
    Case(
        "design_unknown_column",
        configure(de={"design": "~ batch + arm"}),
        "uses 'batch', not column(s) of the sample sheet samples.tsv",
        ("config.yaml, key de.design", "its columns: sample, arm"),
    ),
    Case(
        "colour_by_unknown_column",
        configure(qc={"colour_by": "cage"}),
        "qc.colour_by names 'cage', not a sample-sheet column",
        ("config.yaml, key qc.colour_by",),
    ),
    Case(
        "categorical_unknown_column",
        configure(de={"categorical": ["cage"]}),
        "de.categorical lists 'cage', which is not a column of the sample sheet",
        ("config.yaml, key de.categorical",),
    ),
    # the sample sheet
    Case(
        "sheet_without_sample_column",
        file("samples.tsv", "Sample\tarm\n" + "".join(f"{s}\tctrl\n" for s in SAMPLES)),
        "no `sample` column; the columns are 'Sample', 'arm'",
        ("samples.tsv, header (line 1)",),
    ),
    Case(
        "sheet_duplicate_samples",
        sheet(sample=["s1", "s2", "s3", "s3", "s5", "s6"]),
        "duplicate sample IDs: 's3' on lines 4, 5",
        ("samples.tsv, column `sample`",),
    ),
    Case(
        "sheet_empty_sample_name",
        sheet(sample=["s1", "s2", "", "s4", "s5", "s6"]),
        "empty sample name",
        ("samples.tsv, column `sample`, line(s) 4",),
    ),
    Case(
        "sheet_latin1",
        file("samples.tsv", "sample\tarm\ns1\tctrl\ns2\ttrt\u00e9\n".encode("latin-1")),
        "the sample sheet is not UTF-8 text (byte 0xe9",
        ("samples.tsv",),
    ),
    Case(
        "sheet_empty",
        file("samples.tsv", ""),
        "the sample sheet is empty",
        ("samples.tsv",),
    ),
    Case(
        "sheet_repeated_column",
        file("samples.tsv", "sample\tarm\tarm\n" + "".join(f"{s}\tctrl\ttrt\n" for s in SAMPLES)),
        "column name(s) 'arm' appear more than once in the header",
        ("samples.tsv, header (line 1)",),
    ),
    Case(
        "sheet_bom_crlf_sample_missing_from_counts",
        file(
            "samples.csv",
            crlf("\ufeffsample,arm\n" + "".join(f"{s} ,{a}\n" for s, a in ROWS))
            .replace("s6 ", "S6 ")
            .encode(),
            samples="samples.csv",
        ),
        "1 sample(s) are not in the counts counts.tsv (matrix)",
        ("samples.csv, column `sample`", "'S6' (line 7; did you mean 's6'?)"),
    ),
    Case(
        "sheet_sample_missing_from_counts",
        sheet(sample=[*SAMPLES, "s7"], arm=[*ARMS, "trt"]),
        "1 sample(s) are not in the counts counts.tsv (matrix): 's7' (line 8)",
        ("samples.tsv, column `sample`", "sample columns are 's1', 's2'"),
    ),
    Case(
        "count_column_missing_from_counts",
        sheet(
            count_column=["s1", "s2", "S3", "s4", "s5", "s6"],
            sample=[f"mouse_{i}" for i in range(1, 7)],
        ),
        "'mouse_3' (line 4; count column 'S3'; did you mean 's3'?)",
        ("samples.tsv, column `count_column`", "counts.tsv (matrix)"),
    ),
    Case(
        "count_column_twice",
        sheet(count_column=["s1", "s2", "s2", "s4", "s5", "s6"], sample=list("abcdef")),
        "two samples read the same count column: 's2' for samples 'b' (line 3), 'c' (line 4)",
        ("samples.tsv, column `count_column`",),
    ),
    Case(
        "na_covariate",
        both(
            sheet(batch=["b1", "b2", "b1", "NA", "b1", "b2"]),
            configure(de={"design": "~ batch + arm"}),
        ),
        "is used in the design but is empty (or NA) for sample(s) 's4' (line 5)",
        ("samples.tsv, column `batch`",),
    ),
    Case(
        "text_in_numeric_covariate",
        both(
            sheet(age=["30", "41", "ten", "52", "28", "33"]),
            configure(de={"design": "~ age + arm"}),
        ),
        "column 'age' holds numbers except for 's3' (line 4) (value 'ten')",
        ("samples.tsv, column `age`", "de.categorical"),
    ),
    Case(
        "one_replicate",
        sheet(arm=["ctrl", "trt", "ctrl", "ctrl", "ctrl", "ctrl"]),
        "test level 'trt' of column 'arm' has a single sample ('s2' (line 3))",
        ("samples.tsv, column `arm`", "de.contrasts[0] ('trt_vs_ctrl')"),
    ),
    Case(
        "level_differs_only_in_case",
        sheet(arm=["ctrl", "trt", "ctrl", "trt", "Ctrl", "trt"]),
        "level 'Ctrl' of column 'arm' has a single sample ('s5' (line 6))",
        ("samples.tsv, column `arm`", "did you mean 'ctrl'?"),
    ),
    Case(
        "confounded_design",
        both(
            sheet(batch=["b1", "b2"] * 3),
            configure(de={"design": "~ batch + arm"}),
        ),
        "is not of full rank: some terms are confounded",
        ("config.yaml, key de.design", "'arm[T.trt]' = combination of"),
    ),
    Case(
        "no_residual_degrees_of_freedom",
        both(
            sheet(mouse=["m1", "m2", "m3", "m4", "m5", "m6"]),
            configure(de={"design": "~ mouse + arm"}),
        ),
        "has 7 coefficients for 6 samples",
        ("config.yaml, key de.design",),
    ),
    # the counts, checked against the sheet when the workflow loads
    Case(
        "counts_sample_column_twice",
        counts_text(lambda text: text.replace("\ts2\t", "\ts1\t", 1)),
        "has the sample name 's1' more than once",
        ("counts.tsv, line 1 (header)",),
    ),
    Case(
        "counts_corrupt_gzip",
        file(
            "counts.tsv.gz",
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00" + b"\x00garbage" * 50,
            counts={"path": "counts.tsv.gz"},
        ),
        "could not be read as text",
        ("counts.tsv.gz",),
    ),
    Case(
        "counts_folder_where_a_file_is_expected",
        file(
            "counts_dir/readme.txt",
            "not counts\n",
            counts={"path": "counts_dir", "format": "matrix"},
        ),
        "is a folder, but a count matrix is a single file",
        ("counts_dir",),
    ),
    Case(
        "counts_unrecognised_folder",
        file("counts_dir/notes.md", "# notes\n", counts={"path": "counts_dir"}),
        "is not in a count format that could be recognised",
        ("counts_dir",),
    ),
    Case(
        "featurecounts_summary_as_counts",
        file(
            "fc.txt.summary",
            (DATA / "readers" / "featurecounts" / "counts.txt.summary").read_text(),
            counts={"path": "fc.txt.summary"},
        ),
        "is a featureCounts summary",
        ("fc.txt.summary",),
    ),
    Case(
        "mouse_ids_under_species_human",
        configure(species="human"),
        "species is 'human'",
        ("counts.tsv, gene ID column", "the gene IDs are", "species: mouse"),
    ),
    # annotation and gene sets, parsed when the workflow loads
    Case(
        "annotation_without_symbol_column",
        file("annotation.tsv", "gene_id\tdescription\nENSMUSG1\tx\n", annotation="annotation.tsv"),
        "no gene symbol column in the annotation table",
        ("annotation.tsv, header line",),
    ),
    Case(
        "annotation_conflicting_rows",
        file(
            "annotation.tsv",
            ANNOTATION + f"{gene_id(7)}\tCd8a\n",
            annotation="annotation.tsv",
        ),
        f"gene ID '{gene_id(7)}' has two different symbols: 'Gm7' on line 8 and 'Cd8a' on "
        "line 302",
        ("annotation.tsv",),
    ),
    Case(
        "annotation_gff3",
        file(
            "annotation.gff3",
            "##gff-version 3\n1\tsrc\tgene\t1\t100\t.\t+\t.\tID=gene:G1;Name=Foo\n",
            annotation="annotation.gff3",
        ),
        "this looks like a GFF3 file, which is not supported",
        ("annotation.gff3",),
    ),
    Case(
        "gmt_empty",
        file("gsea.gmt", "", gsea={"hallmarks": False, "gene_sets": ["gsea.gmt"]}),
        "the file holds no gene sets",
        ("gsea.gmt",),
    ),
    Case(
        "gmt_space_separated",
        file("extra.gmt", "planted planted genes Gm1 Gm2\n", scores={"gene_sets": ["extra.gmt"]}),
        "no tab-separated fields (spaces are not separators)",
        ("extra.gmt, line 1",),
    ),
    Case(
        "signature_yaml_unknown_key",
        file(
            "extra.yaml",
            "version: '1'\ndescription: mine\nsetz: []\n",
            scores={"gene_sets": ["extra.yaml"]},
        ),
        "unknown top-level key(s)",
        ("extra.yaml", "setz"),
    ),
    # permissions: denied for real
    Case(
        "counts_unreadable",
        unreadable("counts.tsv"),
        "cannot be read: permission denied",
        ("counts.tsv",),
        unprivileged=True,
    ),
    Case(
        "sheet_unreadable",
        unreadable("samples.tsv"),
        "the sample sheet cannot be read (Permission denied)",
        ("samples.tsv",),
        unprivileged=True,
    ),
    Case(
        "gmt_unreadable",
        unreadable("gsea.gmt", GMT, gsea={"hallmarks": False, "gene_sets": ["gsea.gmt"]}),
        "cannot read the gene-set (GMT) file: Permission denied",
        ("gsea.gmt",),
        unprivileged=True,
    ),
    Case(
        "annotation_unreadable",
        unreadable("annotation.tsv", ANNOTATION, annotation="annotation.tsv"),
        "the annotation cannot be read (PermissionError: Permission denied)",
        ("annotation.tsv",),
        unprivileged=True,
    ),
    # count values: read in full by the import job
    Case(
        "count_is_text",
        counts(cell(7, "s3", "abc")),
        f"non-numeric count 'abc' for gene '{gene_id(7)}', sample 's3'",
        ("counts.tsv", f"row '{gene_id(7)}', column 's3'"),
        stage="import",
    ),
    Case(
        "crlf_counts_with_text_in_the_last_column",
        counts(cell(9, "s6", "abc"), line_end="\r\n"),
        f"non-numeric count 'abc' for gene '{gene_id(9)}', sample 's6'",
        ("counts.tsv", f"row '{gene_id(9)}', column 's6'"),
        stage="import",
    ),
    Case(
        "count_is_negative",
        counts(cell(7, "s3", -4)),
        f"negative count -4 for gene '{gene_id(7)}', sample 's3'",
        ("counts.tsv", f"row '{gene_id(7)}', column 's3'"),
        stage="import",
    ),
    Case(
        "count_is_a_fraction",
        counts(cell(12, "s5", 2.5)),
        f"non-integer count 2.5 for gene '{gene_id(12)}', sample 's5'",
        ("counts.tsv", f"row '{gene_id(12)}', column 's5'", "TPM"),
        stage="import",
    ),
    Case(
        "count_is_missing",
        counts(cell(3, "s2", "")),
        f"missing count for gene '{gene_id(3)}', sample 's2'",
        ("counts.tsv", f"row '{gene_id(3)}', column 's2'"),
        stage="import",
    ),
    Case(
        "count_above_2_to_the_53",
        counts(cell(5, "s4", "1e19")),
        f"count 1e+19 for gene '{gene_id(5)}', sample 's4' is larger than 2**53",
        ("counts.tsv", f"row '{gene_id(5)}', column 's4'"),
        stage="import",
    ),
    Case(
        "empty_gene_id",
        counts_text(lambda text: text.replace(gene_id(4), "", 1)),
        "1 gene(s) have an empty gene ID (first at data row 4)",
        ("counts.tsv, gene ID column",),
        stage="import",
    ),
    Case(
        "duplicate_gene_ids",
        counts_text(lambda text: text.replace(gene_id(4), gene_id(3), 1)),
        f"1 gene ID(s) appear more than once: '{gene_id(3)}'",
        ("counts.tsv, gene ID column",),
        stage="import",
    ),
    Case(
        "sample_with_no_counts",
        counts(lambda table: table.assign(s4=0)),
        "sample(s) 's4' have zero counts in total",
        ("counts.tsv, sample columns",),
        stage="import",
    ),
    Case(
        "three_gene_matrix",
        counts(lambda table: table.iloc[:3]),
        "only 3 of 3 gene(s) have any counts; at least 100 are needed",
        ("counts.tsv, gene rows",),
        stage="import",
    ),
    Case(
        "truncated_gzip",
        truncated_gzip,
        "could not be read as text (EOFError",
        ("counts.tsv.gz",),
        stage="import",
    ),
]


# -- running a case ----------------------------------------------------------------------------


def run_case(root: Path, case: Case) -> subprocess.CompletedProcess[str]:
    command = snakemake_command(root, cores=1)
    if case.unprivileged and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "root needs setpriv (util-linux) to deny file reads for real"
        command = [setpriv, f"--bounding-set={DAC_CAPS}", f"--inh-caps={DAC_CAPS}", *command]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)


def test_the_catalogue_is_large_and_its_ids_unique() -> None:
    ids = [case.id for case in CATALOGUE]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CATALOGUE, ids=[case.id for case in CATALOGUE])
def test_bad_input_stops_with_one_message(tmp_path: Path, case: Case) -> None:
    valid_cohort(tmp_path)
    case.breaks(tmp_path)
    run = run_case(tmp_path, case)
    output = run.stdout + run.stderr
    shown = output[-4000:]
    assert run.returncode != 0, shown
    assert output.count(case.message) == 1, shown
    for fragment in case.names:
        assert fragment in output, (fragment, shown)
    assert "How to fix:" in output, shown
    assert "Traceback" not in output and 'File "' not in output, shown
    assert not re.search(r"\brule de_fit:", output), shown
    results = tmp_path / "results"
    if case.stage == "load":
        assert "Select jobs to execute" not in output, shown
        assert not results.exists()
    else:
        assert re.search(r"\brule import_counts:", output), shown
        out = results / COHORT
        made = [p.relative_to(out) for p in out.rglob("*") if p.is_file()]
        assert made == [Path("logs", "import_counts.log")], made
