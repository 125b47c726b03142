"""The test suite's own plumbing: reference fixtures in tests/data and the ../shared switch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pandas as pd
import pytest
import yaml

from tests import helpers
from tests.conftest import pytest_runtest_setup
from tests.helpers import (
    DATA,
    REPO,
    REQUIRE_SHARED,
    data_path,
    de_settings,
    r_synthetic,
    reference_path,
    requires_shared,
    shared_missing,
    skip_or_fail,
)

R_CASES = ("single_factor", "multi_factor", "continuous", "large_counts", "wide")


class _MarkedItem:
    """The part of a pytest item the shared-data hook reads: its ``shared_data`` marks."""

    def __init__(self, *marks: pytest.MarkDecorator) -> None:
        self.marks = [mark.mark for mark in marks]

    def iter_markers(self, name: str) -> Iterator[pytest.Mark]:
        return (mark for mark in self.marks if mark.name == name)


@pytest.fixture
def no_shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the helpers at an empty folder, as on a machine without ../shared."""
    monkeypatch.setattr(helpers, "VALIDATION", tmp_path / "shared" / "validation")


# --- tests/data --------------------------------------------------------------------------------


def test_every_data_folder_says_where_its_files_come_from() -> None:
    folders = sorted(p.name for p in DATA.iterdir() if p.is_dir())
    assert {"airway", "pasilla", "r_reference"} <= set(folders)
    assert [f for f in folders if not (DATA / f / "SOURCE.md").is_file()] == []


def test_r_reference_layout_and_licence() -> None:
    counts, metadata = r_synthetic()
    assert counts.shape == (100, 10)
    assert list(counts.columns) == [f"gene{i}" for i in range(1, 11)]
    assert (counts.dtypes == "int64").all()
    assert list(metadata.columns) == ["condition", "group"]
    assert list(metadata.index) == list(counts.index)
    assert sorted(metadata["condition"].unique()) == ["A", "B"]
    for case in R_CASES:
        assert reference_path(case, "r_test_res.csv").is_file()
    assert reference_path("single_factor", "r_vst.csv").is_file()
    source = reference_path("SOURCE.md").read_text(encoding="utf-8")
    assert "Copyright (c) 2022 Owkin" in source
    assert "3d1c262ba39a749805d5f18a15f62aef5dccc5ae" in source
    assert "DESeq2 v1.34.0" in source


@pytest.mark.parametrize(
    ("dataset", "counts", "shape"),
    [("airway", "airway_cts.tsv.gz", (64_102, 8)), ("pasilla", "pasilla_cts.tsv", (14_599, 7))],
)
def test_vignette_datasets_are_complete(dataset: str, counts: str, shape: tuple[int, int]) -> None:
    table = pd.read_csv(data_path(dataset, counts), sep="\t", index_col=0)
    assert table.shape == shape
    assert (table.dtypes == "int64").all()
    assert "CC BY-SA 4.0" in data_path(dataset, "SOURCE.md").read_text(encoding="utf-8")


def test_a_missing_fixture_is_an_error_not_a_skip() -> None:
    with pytest.raises(FileNotFoundError, match=r"tests/data/r_reference/nothing\.csv"):
        reference_path("nothing.csv")


# --- ../shared and the TMESEQ_REQUIRE_* switches ----------------------------------------------


def test_skip_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_SHARED, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^R is absent \(with TMESEQ_REQUIRE_SHARED"):
        skip_or_fail("R is absent", REQUIRE_SHARED)


def test_switch_turns_the_skip_into_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_SHARED, "1")
    with pytest.raises(pytest.fail.Exception, match=r"R is absent \(TMESEQ_REQUIRE_SHARED=1"):
        skip_or_fail("R is absent", REQUIRE_SHARED)


@pytest.mark.usefixtures("no_shared")
def test_missing_shared_path_names_path_and_dataset() -> None:
    assert shared_missing("riaz_gse91061", "counts.csv.gz") == (
        "missing ../shared/validation/riaz_gse91061/counts.csv.gz "
        f"({helpers.SHARED_DATASETS['riaz_gse91061']})"
    )
    assert shared_missing("elsewhere") == "missing ../shared/validation/elsewhere (elsewhere)"


def test_present_shared_path_is_not_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(helpers, "VALIDATION", tmp_path)
    (tmp_path / "annotation").mkdir()
    (tmp_path / "annotation" / "map.tsv").write_text("gene_id\tsymbol\n")
    assert shared_missing("annotation", "map.tsv") is None
    assert helpers.shared_path("annotation", "map.tsv") == tmp_path / "annotation" / "map.tsv"


@pytest.mark.usefixtures("no_shared")
def test_marked_test_lists_every_missing_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_SHARED, raising=False)
    item = _MarkedItem(requires_shared("riaz_gse91061", "a.csv"), requires_shared("annotation"))
    with pytest.raises(pytest.skip.Exception) as skipped:
        pytest_runtest_setup(cast(pytest.Item, item))
    reason = str(skipped.value)
    assert "missing ../shared/validation/riaz_gse91061/a.csv" in reason
    assert "; missing ../shared/validation/annotation (" in reason
    monkeypatch.setenv(REQUIRE_SHARED, "1")
    with pytest.raises(pytest.fail.Exception, match=r"riaz_gse91061/a\.csv"):
        pytest_runtest_setup(cast(pytest.Item, item))


@pytest.mark.usefixtures("no_shared")
def test_only_marked_tests_need_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_SHARED, "1")
    outcomes = []
    for item in (_MarkedItem(), _MarkedItem(requires_shared("annotation"))):
        try:
            pytest_runtest_setup(cast(pytest.Item, item))
            outcomes.append("runs")
        except pytest.fail.Exception:
            outcomes.append("fails")
    assert outcomes == ["runs", "fails"]


def test_de_settings_take_the_schema_defaults() -> None:
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    defaults = schema["properties"]["de"]["properties"]
    contrast = {"name": "b_vs_a", "variable": "arm", "test": "B", "reference": "A"}
    settings = de_settings("~ batch + arm", [contrast])
    assert settings.model.design == "~ batch + arm"
    assert [c.name for c in settings.model.contrasts] == ["b_vs_a"]
    assert settings.model.references == {"arm": "A"}
    assert settings.test.alpha == defaults["alpha"]["default"]
    assert settings.n_labels == defaults["n_labels"]["default"]
