"""Interrupting a real run of the workflow, and comparing the result trees of two runs.

:func:`start` runs the workflow in a process group of its own; :func:`wait_for_step` waits
until a rule's step has started (its script runs and has opened its log file), so that a test
can kill the step, or the whole run, at that point. :func:`compare_results` compares two
result folders file by file, after :func:`normalised` has replaced what differs between runs
by nature.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil

from tests.e2e.runner import snakemake_command

GENERATED = re.compile(rb"Generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
"""The time stamp of ``report.html`` (``SOURCE_DATE_EPOCH`` or the time it was written)."""


def copy_inputs(source: Path, target: Path) -> Path:
    """A new cohort folder ``target`` holding copies of the cohort folder ``source``'s inputs:
    everything but what its runs made (``results/``, ``.snakemake/``, ``snakemake.out``)."""
    made = {"results", ".snakemake", "snakemake.out"}
    shutil.copytree(
        source, target, ignore=lambda folder, names: made if folder == str(source) else set()
    )
    return target


def start(workdir: Path, *args: str) -> subprocess.Popen[bytes]:
    """Start the workflow on ``workdir`` (see :func:`tests.e2e.runner.snakemake_command`) in a
    new session, so that ``os.killpg`` reaches Snakemake and every job it started; its output
    goes to ``workdir/snakemake.out`` (appended)."""
    with (workdir / "snakemake.out").open("ab") as out:
        return subprocess.Popen(
            snakemake_command(workdir, *args),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def step_process(run: subprocess.Popen[bytes], script: str) -> psutil.Process | None:
    """The running Python process of the workflow script ``script`` (e.g. ``"de_fit"``) among
    the run's descendants, or None. Snakemake runs a copy named ``tmp<random>.<script>.py``."""
    try:
        children = psutil.Process(run.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    for child in children:
        try:
            command = child.cmdline()
        except psutil.Error:
            continue
        python = len(command) == 2 and "python" in Path(command[0]).name
        if python and command[1].endswith(f".{script}.py"):
            return child
    return None


def wait_for_step(
    run: subprocess.Popen[bytes], script: str, log: Path, timeout: float = 300
) -> psutil.Process:
    """Wait until ``script``'s step runs: its process is alive and has (re)opened ``log``
    (the step's own code has started, after Python's imports).

    Raises
    ------
    AssertionError
        If the run ends, or ``timeout`` seconds pass, first.
    """
    deadline = time.monotonic() + timeout
    while run.poll() is None and time.monotonic() < deadline:
        step = step_process(run, script)
        if step is not None and _opened_since(log, step):
            return step
        time.sleep(0.002)
    raise AssertionError(f"step {script} never started (run ended: {run.poll()})")


def _opened_since(log: Path, step: psutil.Process) -> bool:
    try:
        return log.stat().st_mtime >= step.create_time() - 0.05
    except (OSError, psutil.Error):
        return False


def kill_group(run: subprocess.Popen[bytes]) -> None:
    """SIGKILL the run's whole process group (Snakemake and its jobs) and wait until none of
    its processes is left."""
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(run.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"processes of group {run.pid} survived SIGKILL")


def result_files(out: Path) -> list[str]:
    """The results under ``out`` (``results/<cohort>``), as sorted relative paths: every file
    but the step logs (``logs/``, time-stamped by nature) and hidden files (``.*.partial``)."""
    return sorted(
        path.relative_to(out).as_posix()
        for path in out.rglob("*")
        if path.is_file()
        and path.relative_to(out).parts[0] != "logs"
        and not path.name.startswith(".")
    )


def partial_files(root: Path) -> list[str]:
    """Files under ``root`` whose name marks them as unfinished (``.<name>.partial``)."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.partial"))


def normalised(out: Path, name: str) -> bytes:
    """The bytes of ``out/name``, with what differs between runs by nature replaced:

    - ``report.html``: its time stamp (``Generated <date> <time> UTC``);
    - ``provenance.json``: the SHA-256 of ``report.html``, which holds that time stamp (the
      report's other content and every other hash are compared).

    Every other file is compared as it is.
    """
    data = (out / name).read_bytes()
    if name == "report.html":
        data, replaced = GENERATED.subn(b"Generated <time> UTC", data)
        assert replaced == 1, f"{out / name}: {replaced} time stamps"
    elif name == "provenance.json":
        record = json.loads(data)
        report = next(key for key in record["outputs"] if key.endswith("/report.html"))
        record["outputs"][report] = "<sha256 of report.html>"
        data = json.dumps(record, sort_keys=True).encode()
    return data


def compare_results(out: Path, reference: Path, names: list[str]) -> list[str]:
    """The files of ``names`` whose :func:`normalised` bytes differ between ``out`` and
    ``reference``."""
    return [name for name in names if normalised(out, name) != normalised(reference, name)]
