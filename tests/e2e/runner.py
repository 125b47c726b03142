"""Running the workflow from the end-to-end tests: a real ``snakemake`` process, no mocking."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO


def snakemake_command(
    workdir: Path, *args: str, cores: int = 2, configfile: bool = True
) -> list[str]:
    """The command line running this repository's workflow on ``workdir``.

    Parameters
    ----------
    workdir : Path
        The working directory (``--directory``).
    *args : str
        Further command-line arguments (options, targets).
    cores : int
        ``--cores``.
    configfile : bool
        Pass ``workdir/config.yaml`` with ``--configfile`` (else the Snakefile's own config).
    """
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]
    command += ["--directory", str(workdir)]
    if configfile:
        command += ["--configfile", str(workdir / "config.yaml")]
    return [*command, "--cores", str(cores), *args]


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the workflow on ``workdir`` with its own ``config.yaml`` (see
    :func:`snakemake_command`); the finished process."""
    return subprocess.run(
        snakemake_command(workdir, *args), capture_output=True, text=True, check=False
    )


def planned_jobs(workdir: Path) -> dict[str, int]:
    """The jobs a dry run of ``workdir`` would run: rule name -> number of jobs.

    Parses the ``Job stats`` table of ``snakemake --dry-run --quiet rules``; an up-to-date
    result tree gives an empty dict.

    Raises
    ------
    AssertionError
        If the dry run fails.
    """
    run = snakemake(workdir, "--dry-run", "--quiet", "rules")
    assert run.returncode == 0, run.stderr[-3000:]
    return parse_job_stats(run.stdout)


def parse_job_stats(text: str) -> dict[str, int]:
    """Rule name -> job count from the first ``Job stats`` table in Snakemake's output."""
    lines = text.splitlines()
    if "Job stats:" not in lines:
        return {}
    jobs: dict[str, int] = {}
    # the table: a header line, a line of dashes, one line per rule, then "total"
    for line in lines[lines.index("Job stats:") + 3 :]:
        fields = line.split()
        if len(fields) != 2 or fields[0] == "total":
            break
        jobs[fields[0]] = int(fields[1])
    return jobs
