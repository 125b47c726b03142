"""The load-time checks of a run (tmeseq.config.check_run) on small cohorts written to disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from snakemake.utils import validate

from tests.helpers import REPO, small_counts
from tmeseq import config as config_module
from tmeseq.config import check_run
from tmeseq.errors import InputError

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
SAMPLES = ["s1", "s2", "s3", "s4", "s5", "s6"]


@pytest.fixture
def cohort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """6 samples x 300 genes, a sheet with arms ctrl/trt; the working directory."""
    monkeypatch.chdir(tmp_path)
    small_counts(SAMPLES).to_csv("counts.tsv", sep="\t")
    write_sheet({"sample": SAMPLES, "arm": ["ctrl", "trt"] * 3})
    return tmp_path


def write_sheet(columns: dict[str, list[str]], name: str = "samples.tsv") -> None:
    pd.DataFrame(columns).to_csv(name, sep="\t", index=False)


def config(**patch: Any) -> dict[str, Any]:
    de = {
        "design": "~ arm",
        "contrasts": [{"name": "t_vs_c", "variable": "arm", "test": "trt", "reference": "ctrl"}],
        **patch.pop("de", {}),
    }
    result: dict[str, Any] = {
        "species": "mouse",
        "samples": "samples.tsv",
        "counts": {"path": "counts.tsv"},
        "de": de,
        **patch,
    }
    validate(result, str(SCHEMA))
    return result


def failure(run_config: dict[str, Any]) -> str:
    with pytest.raises(InputError) as caught:
        check_run(run_config, "config.yaml")
    return str(caught.value)


def test_a_valid_cohort_passes(cohort: Path) -> None:
    sheet = check_run(config(), "config.yaml")
    assert list(sheet.index) == SAMPLES


def test_sheet_sample_missing_from_the_counts_names_line_file_columns_and_match(
    cohort: Path,
) -> None:
    write_sheet({"sample": [*SAMPLES[:5], "S6", "s7"], "arm": ["ctrl", "trt"] * 3 + ["trt"]})
    message = failure(config())
    assert message.startswith("samples.tsv, column `sample`: 2 sample(s) are not in the counts ")
    assert "counts.tsv (matrix)" in message
    assert "'S6' (line 7; did you mean 's6'?); 's7' (line 8" in message
    assert "The counts' sample columns are 's1', 's2', 's3', 's4', 's5', 's6'" in message
    assert "count_column" in message


def test_count_column_maps_readable_names_to_count_columns(cohort: Path) -> None:
    counts = small_counts([f"{s}.bam" for s in SAMPLES])
    counts.to_csv("counts.tsv", sep="\t")
    names = [f"mouse_{i}" for i in range(6)]
    columns = [f"{s}.bam" for s in SAMPLES]
    write_sheet({"count_column": columns, "sample": names, "arm": ["ctrl", "trt"] * 3})
    sheet = check_run(config(), "config.yaml")
    assert list(sheet.index) == names
    columns[2] = "s3.bma"
    write_sheet({"count_column": columns, "sample": names, "arm": ["ctrl", "trt"] * 3})
    message = failure(config())
    assert message.startswith("samples.tsv, column `count_column`: 1 sample(s) are not in")
    assert "'mouse_2' (line 4; count column 's3.bma'; did you mean 's3.bam'?)" in message


def test_extra_count_columns_are_fine(cohort: Path) -> None:
    write_sheet({"sample": SAMPLES[:4], "arm": ["ctrl", "trt"] * 2})
    assert len(check_run(config(), "config.yaml")) == 4


def test_per_sample_folder_names_are_checked(cohort: Path) -> None:
    counts = small_counts(SAMPLES)
    Path("star").mkdir()
    for sample in SAMPLES[:5]:
        rows = ["N_unmapped\t1\t1\t1", "N_multimapping\t1\t1\t1"]
        rows += ["N_noFeature\t1\t1\t1", "N_ambiguous\t1\t1\t1"]
        rows += [f"{g}\t{n}\t{n}\t{n}" for g, n in counts[sample].items()]
        Path("star", f"{sample}.ReadsPerGene.out.tab").write_text("\n".join(rows) + "\n")
    message = failure(config(counts={"path": "star"}))
    assert "1 sample(s) are not in the counts star (star): 's6' (line 7)" in message


def test_reference_levels_are_checked_at_load(cohort: Path) -> None:
    message = failure(config(de={"reference_levels": {"arm": "Ctrl"}}))
    assert message.startswith("config.yaml, key de.reference_levels.arm: reference level 'Ctrl'")
    assert "did you mean 'ctrl'?" in message
    message = failure(config(de={"reference_levels": {"batch": "b1"}}))
    assert "'batch' is not a variable of the design '~ arm'" in message


def test_coefficient_contrast_follows_the_reference_level(cohort: Path) -> None:
    contrast = {"name": "c", "coefficients": {"arm[T.ctrl]": 1}}
    check_run(config(de={"reference_levels": {"arm": "trt"}, "contrasts": [contrast]}), "c.yaml")
    message = failure(config(de={"contrasts": [contrast]}))
    assert "coefficient(s) 'arm[T.ctrl]' are not in the design matrix" in message


def test_count_column_cannot_colour_the_plots(cohort: Path) -> None:
    write_sheet({"sample": SAMPLES, "count_column": SAMPLES, "arm": ["ctrl", "trt"] * 3})
    message = failure(config(qc={"colour_by": "count_column"}))
    assert "config.yaml, key qc.colour_by: qc.colour_by names `count_column`" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "extra.gmt: the file holds no gene sets"),
        ("set_a\tdescription\n", "extra.gmt, line 1: only 2 field(s)"),
        ("set a gene1 gene2\n", "extra.gmt, line 1: no tab-separated fields"),
    ],
)
@pytest.mark.parametrize("section", ["scores", "gsea"])
def test_bad_gene_set_files_fail_at_load(
    cohort: Path, section: str, content: str, expected: str
) -> None:
    Path("extra.gmt").write_text(content)
    assert expected in failure(config(**{section: {"gene_sets": ["extra.gmt"]}}))


def test_bad_signature_yaml_fails_at_load(cohort: Path) -> None:
    Path("extra.yaml").write_text("version: '1'\ndescription: x\nsets: []\n")
    message = failure(config(scores={"gene_sets": ["extra.yaml"]}))
    assert "extra.yaml" in message and "'sets' must be a non-empty list" in message


def test_annotation_is_parsed_at_load(cohort: Path) -> None:
    Path("annotation.tsv").write_text("gene_id\tdescription\nENSMUSG1\tx\n")
    message = failure(config(annotation="annotation.tsv"))
    assert message.startswith("annotation.tsv")


def test_large_annotation_is_left_to_the_import(
    cohort: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("annotation.tsv").write_text("gene_id\tdescription\nENSMUSG1\tx\n")
    monkeypatch.setattr(config_module, "MAX_ANNOTATION_BYTES", 10)
    check_run(config(annotation="annotation.tsv"), "config.yaml")


def test_text_in_a_numeric_design_column_fails_at_load(cohort: Path) -> None:
    ages = ["30", "41", "ten", "52", "28", "33"]
    write_sheet({"sample": SAMPLES, "arm": ["ctrl", "trt"] * 3, "age": ages})
    message = failure(config(de={"design": "~ age + arm"}))
    assert message.startswith("samples.tsv, column `age`: column 'age' holds numbers except")
    assert "'s3' (line 4) (value 'ten')" in message


def test_mouse_ids_under_species_human_fail_at_load(cohort: Path) -> None:
    message = failure(config(species="human"))
    assert message.startswith("counts.tsv, gene ID column: the gene IDs are")
    assert "species is 'human'" in message and "species: mouse" in message


def test_species_is_not_checked_against_a_given_annotation(cohort: Path) -> None:
    genes = small_counts(SAMPLES).index
    pd.DataFrame({"gene_id": genes, "symbol": [f"G{i}" for i in range(len(genes))]}).to_csv(
        "annotation.tsv", sep="\t", index=False
    )
    check_run(config(species="human", annotation="annotation.tsv"), "config.yaml")
