"""Jobs that ran out of memory, told to the user as which resource to raise and how.

A job runs out of memory in one of three ways:

- Python raises :class:`MemoryError` inside a step (an allocation was refused, e.g. under a
  cluster's or ``ulimit``'s cap): :func:`tmeseq.logs.script_logging` logs
  :func:`memory_error_message` and ends the job without a traceback;
- the Linux out-of-memory killer stops the job with SIGKILL: Snakemake's log says the job's
  command ``died with <Signals.SIGKILL: 9>`` (or ``returned non-zero exit status 137`` when a
  shell stood in between);
- SLURM ends the job as ``OUT_OF_MEMORY`` (the SLURM executor plugin's message in the
  ``Error in rule`` block).

In the last two the job cannot say anything itself: the workflow's ``onerror`` handler calls
:func:`report_memory_failures` on Snakemake's log, which finds those jobs
(:func:`memory_failures`) and prints one :func:`memory_hint` for each.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

#: Start of a job in Snakemake's log: ``rule de_fit:`` (``localrule``, ``checkpoint``...).
_JOB_START = re.compile(r"^(?:local)?(?:rule|checkpoint) (?P<rule>[\w.-]+):$")
#: Start of a failed job's block.
_JOB_ERROR = re.compile(r"^Error in rule (?P<rule>[\w.-]+):$")
_JOBID = re.compile(r"^\s+jobid: (?P<jobid>\d+)$")
#: A job that succeeded (e.g. on a retry after an earlier attempt was killed).
_FINISHED = re.compile(r"^Finished jobid: (?P<jobid>\d+)\b")
_MEM_MB = re.compile(r"^\s+resources: .*\bmem_mb=(?P<mem_mb>\d+)\b")
#: A job's command killed by SIGKILL, as Python's ``CalledProcessError`` words it (directly,
#: or through a shell that exits with 128 + 9).
_KILLED = re.compile(r"died with <Signals\.SIGKILL: 9>|returned non-zero exit status 137\b")
#: SLURM's state for a job that exceeded its memory (snakemake-executor-plugin-slurm).
_SLURM_OOM = "OUT_OF_MEMORY"

KILLED = "SIGKILL"
"""Cause of a job stopped by signal 9: on Linux, almost always the out-of-memory killer."""
SLURM = "SLURM OUT_OF_MEMORY"
"""Cause of a job SLURM stopped for exceeding its memory."""


@dataclass(frozen=True)
class MemoryFailure:
    """One job that was stopped for memory.

    Attributes
    ----------
    rule : str
        The job's rule.
    jobid : int
        Snakemake's job id in that run.
    cause : str
        :data:`KILLED` or :data:`SLURM`.
    mem_mb : int or None
        The ``mem_mb`` the failed attempt asked for (None if the log does not say).
    attempt : int
        Which attempt failed (1 unless the profile's ``retries`` restarted it).
    """

    rule: str
    jobid: int
    cause: str
    mem_mb: int | None
    attempt: int


@dataclass
class _Job:
    rule: str
    jobid: int | None = None
    mem_mb: int | None = None


def _blocks(lines: list[str]) -> Iterator[tuple[str, list[str]]]:
    """Each unindented line of ``lines`` with the indented lines that follow it."""
    for i, line in enumerate(lines):
        if line and not line[0].isspace():
            body = []
            for following in lines[i + 1 :]:
                if not following[:1].isspace():
                    break
                body.append(following)
            yield line, body


def _job_fields(rule: str, body: list[str]) -> _Job:
    job = _Job(rule)
    for line in body:
        if (jobid := _JOBID.match(line)) is not None:
            job.jobid = int(jobid["jobid"])
        elif (mem_mb := _MEM_MB.match(line)) is not None:
            job.mem_mb = int(mem_mb["mem_mb"])
    return job


def memory_failures(log_text: str) -> list[MemoryFailure]:
    """The jobs that Snakemake's log shows stopped for memory, in the order they failed.

    Parameters
    ----------
    log_text : str
        A Snakemake log (``.snakemake/log/*.snakemake.log``, or what it printed).

    Returns
    -------
    list of MemoryFailure
        One per failed job killed by SIGKILL (exit status 137) or ended by SLURM as
        ``OUT_OF_MEMORY``, with its last failed attempt (a job the profile's ``retries``
        restarted is listed once) and the ``mem_mb`` that attempt asked for; jobs that
        failed for other reasons are left out.
    """
    started: dict[int, _Job] = {}
    attempts: dict[int, int] = {}
    killed = False
    failures: dict[int, MemoryFailure] = {}
    for head, body in _blocks(log_text.splitlines()):
        if _KILLED.search(head) or any(_KILLED.search(line) for line in body):
            killed = True
        if (finished := _FINISHED.match(head)) is not None:
            failures.pop(int(finished["jobid"]), None)
        elif (start := _JOB_START.match(head)) is not None:
            job = _job_fields(start["rule"], body)
            if job.jobid is not None:
                started[job.jobid] = job
                attempts[job.jobid] = attempts.get(job.jobid, 0) + 1
        elif (error := _JOB_ERROR.match(head)) is not None:
            failed = _job_fields(error["rule"], body)
            slurm = any(_SLURM_OOM in line for line in body)
            if (killed or slurm) and failed.jobid is not None:
                asked = started.get(failed.jobid, failed).mem_mb
                cause = SLURM if slurm else KILLED
                attempt = attempts.get(failed.jobid, 1)
                failure = MemoryFailure(failed.rule, failed.jobid, cause, asked, attempt)
                failures[failed.jobid] = failure
            killed = False
    return list(failures.values())


def raise_memory_fix(rule: str, mem_mb: int | None) -> str:
    """How to give ``rule`` more memory (the ``How to fix`` part of the messages)."""
    more = f"{2 * mem_mb}" if mem_mb else "<MB>"
    return (
        f"raise its memory and rerun the same command: `--set-resources {rule}:mem_mb={more}`, "
        f"or `set-resources: {{{rule}: {{mem_mb: {more}}}}}` in your profile (with `retries:` "
        "in the profile, as profiles/slurm has, each retry asks for attempt x mem_mb). On one "
        "machine mem_mb counts only against `--resources mem_mb=<free MB>`: give that, or run "
        "fewer jobs at once (`--cores 1`)"
    )


def memory_hint(failure: MemoryFailure) -> str:
    """The message for one job stopped for memory: rule, cause, ``mem_mb`` asked, the fix."""
    asked = f"mem_mb={failure.mem_mb}" if failure.mem_mb is not None else "its mem_mb"
    attempt = f", attempt {failure.attempt}" if failure.attempt > 1 else ""
    if failure.cause == SLURM:
        what = f"SLURM stopped it for exceeding its memory (OUT_OF_MEMORY) at {asked}"
    else:
        what = (
            f"it was killed (SIGKILL) while asking for {asked}; on Linux that is almost always "
            "the out-of-memory killer: the job needed more memory than it could get"
        )
    where = f"rule {failure.rule} (job {failure.jobid}{attempt})"
    return f"{where}: {what}.\n  How to fix: {raise_memory_fix(failure.rule, failure.mem_mb)}."


def memory_error_message(rule: str | None, mem_mb: int | None) -> str:
    """The message a step logs when Python raised :class:`MemoryError` inside it.

    Parameters
    ----------
    rule : str or None
        The step's rule (None when the caller does not know it).
    mem_mb : int or None
        The ``mem_mb`` the job asked for.
    """
    name = rule or "<rule>"
    asked = f"mem_mb={mem_mb}" if mem_mb is not None else "its mem_mb"
    return (
        f"rule {name}: ran out of memory (MemoryError) while asking for {asked}.\n"
        f"  How to fix: {raise_memory_fix(name, mem_mb)}."
    )


def _log_paths(log: str | Path | Iterable[str | Path] | None) -> list[Path]:
    if log is None:
        return []
    if isinstance(log, str | Path):
        return [Path(log)]
    return [Path(path) for path in log]


def report_memory_failures(
    log: str | Path | Iterable[str | Path] | None, stream: TextIO | None = None
) -> list[MemoryFailure]:
    """Print a :func:`memory_hint` for each job the run's log shows stopped for memory.

    Called by the workflow's ``onerror`` handler with the ``log`` Snakemake gives it.

    Parameters
    ----------
    log : str, Path, iterable of them, or None
        Snakemake's log file(s) of the run (a missing file is skipped).
    stream : text stream, optional
        Where to print (default: standard error).

    Returns
    -------
    list of MemoryFailure
        The jobs reported.
    """
    out = sys.stderr if stream is None else stream
    failures = []
    for path in _log_paths(log):
        if path.is_file():
            failures += memory_failures(path.read_text(encoding="utf-8", errors="replace"))
    for failure in failures:
        out.write(f"{memory_hint(failure)}\n")
    return failures
