"""A job that runs out of memory, for real, tells the user which resource to raise and how.

Two ways, on a cohort large enough for the DE fit to take a few seconds and some hundred MB
(20000 genes x 40 samples): the test SIGKILLs the running ``de_fit`` step, as Linux's
out-of-memory killer does, and the workflow's ``onerror`` handler names the rule, its
``mem_mb`` and the fix; then the test caps the running step's address space (``prlimit``,
as a cluster's or ``ulimit``'s memory cap does) just above what it uses, so that its next
large allocation fails with ``MemoryError``, and the step says so itself, once.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import psutil
import pytest

from tests.e2e.conftest import planted_gene_sets, write_cohort
from tests.e2e.interrupts import start, wait_for_step
from tests.e2e.runner import snakemake
from tests.helpers import write_config

pytestmark = pytest.mark.e2e

COHORT = "large"
UNTIL_DE = ("--until", "de_fit", "--forcerun", "de_fit")
HEADROOM_MB = 64
"""Address space granted to the DE step above what it uses once it has read its input and
logged its first line. The fit then needs about 100 MB more; below about 40 MB OpenBLAS, not
Python, is refused first (and ends the process itself), so the test moves the cap up after
such a failure and down after a fit that got through (measured: 64 and 80 MB always gave a
MemoryError, 48 MB sometimes OpenBLAS's failure, 200 MB a finished fit)."""


@pytest.fixture(scope="module")
def large_cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cohort of 20000 genes x 40 samples, imported (the DE steps have not run)."""
    root = tmp_path_factory.mktemp("large_cohort")
    samples = [f"s{i:02d}" for i in range(1, 41)]
    write_cohort(root, samples, ["ctrl", "trt"] * 20, n_genes=20000)
    write_config(root / "config.yaml", cohort=COHORT, **planted_gene_sets(root))
    run = snakemake(root, "--until", "import_counts")
    assert run.returncode == 0, run.stderr[-3000:]
    return root


def output_of(workdir: Path, start_at: int) -> str:
    """What the runs started with :func:`tests.e2e.interrupts.start` printed since byte
    ``start_at`` of ``snakemake.out``."""
    return (workdir / "snakemake.out").read_bytes()[start_at:].decode()


def printed_so_far(workdir: Path) -> int:
    out = workdir / "snakemake.out"
    return out.stat().st_size if out.exists() else 0


def test_a_job_killed_for_memory_is_named_with_the_fix(large_cohort: Path) -> None:
    since = printed_so_far(large_cohort)
    run = start(large_cohort, *UNTIL_DE)
    step = wait_for_step(run, "de_fit", large_cohort / "results" / COHORT / "logs" / "de_fit.log")
    step.send_signal(signal.SIGKILL)
    assert run.wait(timeout=120) != 0
    output = output_of(large_cohort, since)
    hint = re.search(
        r"^rule de_fit \(job \d+\): it was killed \(SIGKILL\) while asking for "
        r"mem_mb=(\d+); on Linux that is almost always the out-of-memory killer",
        output,
        re.MULTILINE,
    )
    assert hint is not None, output[-3000:]
    asked = int(hint.group(1))
    assert asked >= 2000  # mem_mb_for(2000, 60): grows with the input's size
    fix = output[hint.end() :].splitlines()[1]
    assert fix.startswith("  How to fix: raise its memory and rerun the same command: ")
    assert f"`--set-resources de_fit:mem_mb={2 * asked}`" in fix
    assert output.count("it was killed (SIGKILL)") == 1


def memory_error_run(workdir: Path, headroom_mb: int) -> tuple[int, str]:
    """Run the DE step, capping its address space ``headroom_mb`` above its use once it has
    logged its first line; the run's exit status and what it printed."""
    since = printed_so_far(workdir)
    log = workdir / "results" / COHORT / "logs" / "de_fit.log"
    run = start(workdir, *UNTIL_DE)
    step = wait_for_step(run, "de_fit", log)
    while run.poll() is None and not log.read_text().strip():
        time.sleep(0.002)  # until the input is read and the pre-filter logged
    try:
        limit = step.memory_info().vms + (headroom_mb << 20)
        step.rlimit(psutil.RLIMIT_AS, (limit, limit))
    except psutil.NoSuchProcess:
        pass
    status = run.wait(timeout=300)
    return status, output_of(workdir, since)


def test_a_step_out_of_memory_says_which_resource_to_raise(large_cohort: Path) -> None:
    message = "ran out of memory (MemoryError)"
    headroom, outputs = HEADROOM_MB, []
    for _ in range(4):
        status, output = memory_error_run(large_cohort, headroom)
        outputs.append(f"headroom {headroom} MB, exit status {status}:\n{output[-1500:]}")
        if message in output:
            break
        headroom += -16 if status == 0 else 24
    assert message in output, "\n---\n".join(outputs)
    line = re.search(
        r"^\[tmeseq\] ERROR: rule de_fit: ran out of memory \(MemoryError\) while asking for "
        r"mem_mb=(\d+)\.\n  How to fix: raise its memory and rerun the same command: "
        r"`--set-resources de_fit:mem_mb=(\d+)`",
        output,
        re.MULTILINE,
    )
    assert line is not None, output[-3000:]
    assert int(line.group(2)) == 2 * int(line.group(1))
    # said once, without a traceback; the step's log has it too
    assert output.count(message) == 1
    assert "Traceback" not in output
    log = (large_cohort / "results" / COHORT / "logs" / "de_fit.log").read_text()
    assert "[ERROR] tmeseq: rule de_fit: ran out of memory (MemoryError)" in log
