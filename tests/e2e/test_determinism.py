"""Two clean runs of the same cohort in different folders give the same results, byte for
byte: tables (.tsv, .xlsx), AnnData files (.h5ad), figures (.png), and the report and its
provenance except the report's time stamp (and so the report's hash in the provenance; see
:func:`tests.e2e.interrupts.normalised`). Step logs are time-stamped line by line and not
compared."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.interrupts import compare_results, copy_inputs, result_files
from tests.e2e.runner import snakemake

# the first run is the finished run, made once per worker
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("finished_run")]


def test_two_clean_runs_give_identical_results(finished_run: Path, tmp_path: Path) -> None:
    reference = finished_run / "results" / "rerun"
    workdir = copy_inputs(finished_run, tmp_path / "second")
    run = snakemake(workdir)
    assert run.returncode == 0, run.stderr[-3000:]
    out = workdir / "results" / "rerun"
    files = result_files(out)
    assert files == result_files(reference)
    kinds = {Path(name).suffix for name in files}
    assert {".tsv", ".xlsx", ".h5ad", ".png", ".html", ".json"} <= kinds
    assert compare_results(out, reference, files) == []
