"""An interrupted run, repeated, ends as an uninterrupted one.

SIGKILL the whole workflow (Snakemake and its jobs, as a power cut or ``kill -9`` would) while
the DE fit, the scores and the report run in turn. After each kill every file that looks
finished is the finished file, and the same command (after the ``--unlock`` the message asks
for) carries on. At the end every output equals that of a run that was never interrupted, and
nothing unfinished is left.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.interrupts import (
    compare_results,
    copy_inputs,
    kill_group,
    partial_files,
    result_files,
    start,
    wait_for_step,
)
from tests.e2e.runner import planned_jobs, snakemake

# the uninterrupted run is the finished run (same inputs and config), made once per worker
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("finished_run")]

COHORT = "rerun"
KILL_POINTS = ("de_fit", "scores", "report")
"""The steps during which the run is killed, in the order the workflow reaches them."""


def test_killed_runs_resume_to_the_uninterrupted_outputs(
    finished_run: Path, tmp_path: Path
) -> None:
    reference = finished_run / "results" / COHORT
    workdir = copy_inputs(finished_run, tmp_path / "cohort")
    out = workdir / "results" / COHORT
    for number, script in enumerate(KILL_POINTS):
        if number == 1:
            # the same command, after a kill, says how to go on: Snakemake's lock is left
            locked = snakemake(workdir)
            assert locked.returncode != 0
            assert "Directory cannot be locked" in locked.stderr
            assert "It can be removed with the --unlock argument." in locked.stderr
        if number:
            assert snakemake(workdir, "--unlock").returncode == 0
        run = start(workdir)
        step = wait_for_step(run, script, out / "logs" / f"{script}.log")
        assert step.is_running()
        kill_group(run)
        # whatever looks finished is finished: byte for byte the uninterrupted run's file
        present = result_files(out)
        assert compare_results(out, reference, present) == [], script
        assert set(present) <= set(result_files(reference)), script
    assert snakemake(workdir, "--unlock").returncode == 0
    resumed = snakemake(workdir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert result_files(out) == result_files(reference)
    assert compare_results(out, reference, result_files(reference)) == []
    assert partial_files(workdir / "results") == []
    assert not [p for p in (workdir / ".snakemake" / "incomplete").rglob("*") if p.is_file()]
    assert planned_jobs(workdir) == {}
