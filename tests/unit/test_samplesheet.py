from pathlib import Path

import pandas as pd
import pytest

from tmeseq.errors import InputError
from tmeseq.samplesheet import (
    COUNT_COLUMN,
    count_columns,
    covariates,
    read_sample_sheet,
    sample_line,
)


def write(tmp_path: Path, text: str, name: str = "samples.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_awkward_names_survive_as_text(tmp_path):
    path = write(tmp_path, "sample\tarm\tbatch\nT-01\ta\t1\n3 mice\tb\t2\na.b\ta\t1\n007\tb\t2\n")
    sheet = read_sample_sheet(path)
    assert list(sheet.index) == ["T-01", "3 mice", "a.b", "007"]
    assert sheet.loc["007", "batch"] == "2"


def test_csv_is_read(tmp_path):
    sheet = read_sample_sheet(write(tmp_path, "sample,arm\ns1,a\ns2,b\n", "s.csv"))
    assert sheet.loc["s2", "arm"] == "b"


def test_missing_sample_column_names_columns_and_fix(tmp_path):
    path = write(tmp_path, "name\tarm\ns1\ta\n")
    with pytest.raises(
        InputError, match=r"no `sample` column; the columns are 'name', 'arm'"
    ) as e:
        read_sample_sheet(path)
    assert str(path) in str(e.value)
    assert "How to fix: name the column holding the sample names `sample`" in str(e.value)


def test_duplicate_sample_ids_name_lines(tmp_path):
    path = write(tmp_path, "sample\tarm\ns1\ta\ns2\tb\ns1\tb\n")
    with pytest.raises(InputError, match=r"duplicate sample IDs: 's1' on lines 2, 4"):
        read_sample_sheet(path)


def test_empty_sample_name_names_line(tmp_path):
    path = write(tmp_path, "sample\tarm\ns1\ta\n\tb\n")
    with pytest.raises(InputError, match=r"empty sample name.*line\(s\) 3|line\(s\) 3.*empty"):
        read_sample_sheet(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_sample_sheet(tmp_path / "nope.tsv")


def test_covariates_numeric_unless_categorical():
    sheet = pd.DataFrame({"sample": ["a", "b"], "dose": ["1", "2.5"], "batch": ["1", "2"]})
    typed = covariates(sheet, categorical=["batch"])
    assert typed["dose"].dtype == float
    assert list(typed["batch"].cat.categories) == ["1", "2"]
    assert typed["sample"].dtype == object


def test_covariates_reference_level_first():
    sheet = pd.DataFrame({"sample": ["a", "b", "c"], "arm": ["chemo", "vehicle", "NKTR214"]})
    typed = covariates(sheet, references={"arm": "vehicle"})
    assert list(typed["arm"].cat.categories) == ["vehicle", "NKTR214", "chemo"]
    assert list(typed["arm"]) == ["chemo", "vehicle", "NKTR214"]


def test_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "samples.csv"
    path.write_bytes("\ufeffsample,arm\nS1,ctrl\nS2,trt\n".encode())
    sheet = read_sample_sheet(path)
    assert list(sheet.columns) == ["sample", "arm"]
    assert sheet["sample"].tolist() == ["S1", "S2"]


def test_windows_line_ends_and_trailing_spaces_are_handled(tmp_path):
    path = tmp_path / "samples.tsv"
    path.write_bytes(b"sample\tarm\r\nS1\tctrl \r\nS2\ttrt\r\n")
    sheet = read_sample_sheet(path)
    assert sheet["arm"].tolist() == ["ctrl", "trt"]


def test_latin1_sheet_is_named_with_the_fix(tmp_path):
    path = tmp_path / "samples.tsv"
    path.write_bytes("sample\tarm\nS1\tcontr\xf4le\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text") as caught:
        read_sample_sheet(path)
    assert str(path) in caught.value.message
    assert "save the sheet as UTF-8" in caught.value.message


def test_missing_value_words_are_missing_not_a_level(tmp_path):
    path = tmp_path / "samples.tsv"
    path.write_text("sample\tarm\tdose\nNA\tctrl\tNA\nS2\tN/A\t1\nS3\ttrt\t \n")
    sheet = read_sample_sheet(path)
    assert sheet["sample"].tolist() == ["NA", "S2", "S3"]  # sample names stay as written
    assert sheet["arm"].isna().tolist() == [False, True, False]
    assert sheet["dose"].isna().tolist() == [True, False, True]


def test_count_column_maps_samples_and_empty_cells_fall_back(tmp_path):
    path = write(
        tmp_path,
        "count_column,sample,group\nd14_t2.bam ,t2,treat\n,t3,treat\nNA,c1,ctrl\n",
        "s.csv",
    )
    sheet = read_sample_sheet(path)
    assert count_columns(sheet) == {"t2": "d14_t2.bam", "t3": "t3", "c1": "c1"}
    assert count_columns(sheet.drop(columns=COUNT_COLUMN)) == {"t2": "t2", "t3": "t3", "c1": "c1"}


def test_count_column_is_not_a_covariate(tmp_path):
    path = write(tmp_path, "sample\tcount_column\tarm\na\tx.bam\tctrl\nb\ty.bam\ttrt\n")
    typed = covariates(read_sample_sheet(path))
    assert list(typed.columns) == ["sample", "arm"]


def test_count_column_must_be_unique(tmp_path):
    path = write(tmp_path, "sample\tcount_column\na\tx.bam\nb\tx.bam\nc\t\nd\tc\n")
    with pytest.raises(InputError) as e:
        read_sample_sheet(path)
    message = str(e.value)
    assert "two samples read the same count column" in message
    assert "'x.bam' for samples 'a' (line 2), 'b' (line 3)" in message
    assert "'c' for samples 'c' (line 4), 'd' (line 5)" in message
    assert "column `count_column`" in message


def test_unreadable_sheet_is_named_with_the_fix(tmp_path, monkeypatch):
    """Opening fails as for a file without read permission (which root, who runs the tests
    in CI, cannot be denied; the end-to-end catalogue denies it for real)."""
    path = write(tmp_path, "sample\tarm\ns1\ta\n")
    original = Path.open

    def denied(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(InputError) as e:
        read_sample_sheet(path)
    assert f"{path}: the sample sheet cannot be read (Permission denied)" in str(e.value)
    assert "chmod a+r" in str(e.value)


def test_sample_line_is_the_file_line(tmp_path):
    sheet = read_sample_sheet(write(tmp_path, "sample\tarm\ns1\ta\ns2\tb\n"))
    assert sample_line(sheet, "s2") == 3


def test_repeated_column_name_is_named(tmp_path):
    path = write(tmp_path, "sample\tarm\tarm\ns1\ta\tb\n")
    with pytest.raises(InputError, match=r"column name\(s\) 'arm' appear more than once"):
        read_sample_sheet(path)
