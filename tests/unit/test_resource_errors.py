"""Jobs stopped for memory, found in Snakemake's log and told as which resource to raise.

The logs below are real: Snakemake 9.27's ``.snakemake/log`` files of runs of this workflow on
a small cohort, from the first job on, with only the machine's paths replaced (the Python,
the checkout, the working directory). In the first two the test killed the ``de_fit`` job's
process with SIGKILL, as the out-of-memory killer does; in the third a job failed for a
reason of its own.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tmeseq.logs import script_logging
from tmeseq.resource_errors import (
    KILLED,
    SLURM,
    MemoryFailure,
    memory_error_message,
    memory_failures,
    memory_hint,
    report_memory_failures,
)

KILLED_ONCE = """\
Select jobs to execute...
Execute 1 jobs...
[Thu Dec  3 17:07:48 2026]
localrule de_fit:
    input: results/safe/counts.h5ad
    output: results/safe/de/model.h5ad
    log: results/safe/logs/de_fit.log
    jobid: 0
    reason: Forced execution
    threads: 2
    resources: tmpdir=/tmp, disk_mb=1000, disk=1 GB, disk_mib=954, mem_mb=2026, mem=2.03 GB, mem_mib=1933, runtime=24
Shell command: None
RuleException:
CalledProcessError in file "/opt/tmeseq/workflow/rules/de.smk", line 20:
Command 'set -euo pipefail;  /usr/bin/python3 /home/user/cohort/.snakemake/scripts/tmpnw4upa2s.de_fit.py' died with <Signals.SIGKILL: 9>.
[Thu Dec  3 17:07:49 2026]
Error in rule de_fit:
    message: None
    jobid: 0
    input: results/safe/counts.h5ad
    output: results/safe/de/model.h5ad
    log: results/safe/logs/de_fit.log (check log file(s) for error details)
Logfile results/safe/logs/de_fit.log not found.
Shutting down, this might take some time.
Exiting because a job execution failed. Look above for error messages
Complete log(s): /home/user/cohort/.snakemake/log/2026-12-03T170747.286310.snakemake.log
Elapsed time: 0:00:01.968058
WorkflowError:
At least one job did not complete successfully.
"""  # noqa: E501
"""``de_fit`` killed once (by the test, with SIGKILL) while asking for 2026 MB."""

KILLED_TWICE = """\
Select jobs to execute...
Execute 1 jobs...
[Thu Dec  3 17:07:33 2026]
localrule qc:
    input: results/safe/counts.h5ad
    output: results/safe/qc/library_stats.tsv, results/safe/qc/library_sizes.png, results/safe/qc/pca.tsv, results/safe/qc/pca_variance.tsv, results/safe/qc/pca.png, results/safe/qc/sample_correlation.tsv, results/safe/qc/sample_correlation.png
    log: results/safe/logs/qc.log
    jobid: 2
    reason: Code has changed since last execution
    threads: 2
    resources: tmpdir=/tmp, mem_mb=2017, mem=2.02 GB, mem_mib=1924, disk_mb=1000, disk=1 GB, disk_mib=954, runtime=11
Shell command: None
Select jobs to execute...
[Thu Dec  3 17:07:36 2026]
Finished jobid: 2 (Rule: qc)
1 of 10 steps (10%) done
Execute 1 jobs...
[Thu Dec  3 17:07:36 2026]
localrule de_fit:
    input: results/safe/counts.h5ad
    output: results/safe/de/model.h5ad
    log: results/safe/logs/de_fit.log
    jobid: 3
    reason: Forced execution
    threads: 2
    resources: tmpdir=/tmp, mem_mb=2026, mem=2.03 GB, mem_mib=1933, disk_mb=1000, disk=1 GB, disk_mib=954, runtime=24
Shell command: None
RuleException:
CalledProcessError in file "/opt/tmeseq/workflow/rules/de.smk", line 20:
Command 'set -euo pipefail;  /usr/bin/python3 /home/user/cohort/.snakemake/scripts/tmpyiv8elyv.de_fit.py' died with <Signals.SIGKILL: 9>.
[Thu Dec  3 17:07:37 2026]
Error in rule de_fit:
    message: None
    jobid: 3
    input: results/safe/counts.h5ad
    output: results/safe/de/model.h5ad
    log: results/safe/logs/de_fit.log (check log file(s) for error details)
Logfile results/safe/logs/de_fit.log not found.
Trying to restart job 3.
Select jobs to execute...
Execute 1 jobs...
[Thu Dec  3 17:07:37 2026]
localrule de_fit:
    input: results/safe/counts.h5ad
    output: results/safe/de/model.h5ad
    log: results/safe/logs/de_fit.log
    jobid: 3
    reason: Forced execution
    threads: 2
    resources: tmpdir=/tmp, mem_mb=4052, mem=4.05 GB, mem_mib=3865, disk_mb=1000, disk=1 GB, disk_mib=954, runtime=48
Shell command: None
RuleException:
CalledProcessError in file "/opt/tmeseq/workflow/rules/de.smk", line 20:
Command 'set -euo pipefail;  /usr/bin/python3 /home/user/cohort/.snakemake/scripts/tmp5o676tyk.de_fit.py' died with <Signals.SIGKILL: 9>.
[Thu Dec  3 17:07:37 2026]
Error in rule de_fit:
    message: None
    jobid: 3
    input: results/safe/counts.h5ad
    output: results/safe/de/model.h5ad
    log: results/safe/logs/de_fit.log (check log file(s) for error details)
Logfile results/safe/logs/de_fit.log not found.
Shutting down, this might take some time.
Exiting because a job execution failed. Look above for error messages
Complete log(s): /home/user/cohort/.snakemake/log/2026-12-03T170732.602705.snakemake.log
Elapsed time: 0:00:05.056245
WorkflowError:
At least one job did not complete successfully.
"""  # noqa: E501
"""``--retries 1``: ``qc`` finished, then ``de_fit`` was killed on both attempts (2026, then
4052 MB)."""

FAILED_OTHERWISE = """\
Select jobs to execute...
Execute 1 jobs...
[Thu Dec  3 17:07:52 2026]
localrule import_counts:
    input: counts.tsv, samples.tsv
    output: results/safe/counts.h5ad
    log: results/safe/logs/import_counts.log
    jobid: 1
    reason: Missing output files: results/safe/counts.h5ad
    resources: tmpdir=/tmp, disk_mb=1000, disk=1 GB, disk_mib=954, mem_mb=1002, mem=1 GB, mem_mib=956, runtime=10
Shell command: None
RuleException:
CalledProcessError in file "/opt/tmeseq/workflow/rules/import.smk", line 20:
Command 'set -euo pipefail;  /usr/bin/python3 /home/user/cohort/.snakemake/scripts/tmpkmez2yi3.import_counts.py' returned non-zero exit status 1.
[Thu Dec  3 17:07:53 2026]
Error in rule import_counts:
    message: None
    jobid: 1
    input: counts.tsv, samples.tsv
    output: results/safe/counts.h5ad
    log: results/safe/logs/import_counts.log (check log file(s) for error details)
Logfile results/safe/logs/import_counts.log:
================================================================================
2026-12-03 17:07:52,989 [INFO] tmeseq.readers: Detected matrix counts in counts.tsv: no tool signature; a header and 9 tab-separated columns per line
2026-12-03 17:07:52,998 [INFO] tmeseq.readers.matrix: Read a tab-separated matrix: 3000 genes x 8 samples from counts.tsv
2026-12-03 17:07:52,998 [INFO] tmeseq.importer: Read 3000 genes x 8 samples (matrix format) from counts.tsv
2026-12-03 17:07:53,001 [ERROR] tmeseq: counts.tsv, row 'ENSMUSG00000000002', column 's1': negative count -4 for gene 'ENSMUSG00000000002', sample 's1' (1 negative value(s) in all)
  How to fix: give raw read counts, not log-transformed, centred or batch-corrected values
================================================================================
Shutting down, this might take some time.
Exiting because a job execution failed. Look above for error messages
Complete log(s): /home/user/cohort/.snakemake/log/2026-12-03T170751.094092.snakemake.log
Elapsed time: 0:00:02.105592
WorkflowError:
At least one job did not complete successfully.
"""  # noqa: E501
"""``import_counts`` failed with exit status 1 (a negative count; ``show-failed-logs`` prints
the job's log)."""


def slurm_out_of_memory(text: str) -> str:
    """``text`` as the SLURM executor plugin reports an ``OUT_OF_MEMORY`` job: its message in
    the ``Error in rule`` block, no local kill (the plugin's wording,
    snakemake-executor-plugin-slurm: ``SLURM-job '<id>' failed, SLURM status is: '<state>'.``)."""
    text = re.sub(r"(?m)^RuleException:\n.*\n.*died with.*\n", "", text)
    return text.replace(
        "    message: None",
        "    message: SLURM-job '4821' failed, SLURM status is: 'OUT_OF_MEMORY'. ",
    )


def test_a_killed_job_is_found_with_the_memory_it_asked_for() -> None:
    assert memory_failures(KILLED_ONCE) == [
        MemoryFailure(rule="de_fit", jobid=0, cause=KILLED, mem_mb=2026, attempt=1)
    ]


def test_a_retried_job_is_reported_once_with_its_last_attempt() -> None:
    assert memory_failures(KILLED_TWICE) == [
        MemoryFailure(rule="de_fit", jobid=3, cause=KILLED, mem_mb=4052, attempt=2)
    ]


def test_a_retry_that_succeeds_is_not_reported() -> None:
    first_attempt = KILLED_TWICE[: KILLED_TWICE.index("Trying to restart job 3.")]
    assert len(memory_failures(first_attempt)) == 1
    succeeded = first_attempt + "Trying to restart job 3.\nFinished jobid: 3 (Rule: de_fit)\n"
    assert memory_failures(succeeded) == []


def test_a_shell_exit_status_137_counts_as_killed() -> None:
    text = KILLED_ONCE.replace(
        "died with <Signals.SIGKILL: 9>", "returned non-zero exit status 137"
    )
    assert [f.cause for f in memory_failures(text)] == [KILLED]


def test_other_failures_are_not_memory_failures() -> None:
    assert memory_failures(FAILED_OTHERWISE) == []
    # a failure after a killed-and-reported job does not inherit the kill
    assert [f.rule for f in memory_failures(KILLED_ONCE + "\n" + FAILED_OTHERWISE)] == ["de_fit"]


def test_slurm_out_of_memory_is_found() -> None:
    text = slurm_out_of_memory(KILLED_TWICE)
    assert "died with" not in text
    assert memory_failures(text) == [
        MemoryFailure(rule="de_fit", jobid=3, cause=SLURM, mem_mb=4052, attempt=2)
    ]


def test_hint_names_rule_resource_request_and_both_ways_to_raise_it() -> None:
    (failure,) = memory_failures(KILLED_ONCE)
    hint = memory_hint(failure)
    first, fix = hint.split("\n")
    assert first == (
        "rule de_fit (job 0): it was killed (SIGKILL) while asking for mem_mb=2026; on Linux "
        "that is almost always the out-of-memory killer: the job needed more memory than it "
        "could get."
    )
    assert fix.startswith("  How to fix: raise its memory and rerun the same command: ")
    assert "`--set-resources de_fit:mem_mb=4052`" in fix
    assert "`set-resources: {de_fit: {mem_mb: 4052}}` in your profile" in fix
    assert "each retry asks for attempt x mem_mb" in fix
    assert "`--cores 1`" in fix


def test_slurm_hint_names_the_state_and_the_attempt() -> None:
    (failure,) = memory_failures(slurm_out_of_memory(KILLED_TWICE))
    first = memory_hint(failure).split("\n")[0]
    assert first == (
        "rule de_fit (job 3, attempt 2): SLURM stopped it for exceeding its memory "
        "(OUT_OF_MEMORY) at mem_mb=4052."
    )
    assert "`--set-resources de_fit:mem_mb=8104`" in memory_hint(failure)


def test_memory_error_message_of_a_step() -> None:
    message = memory_error_message("scores", 3000)
    assert message.startswith(
        "rule scores: ran out of memory (MemoryError) while asking for mem_mb=3000.\n"
        "  How to fix: raise its memory"
    )
    assert "`--set-resources scores:mem_mb=6000`" in message
    assert "`--set-resources <rule>:mem_mb=<MB>`" in memory_error_message(None, None)


@pytest.mark.parametrize("as_list", [False, True])
def test_report_reads_the_logs_snakemake_gives_onerror(tmp_path: Path, as_list: bool) -> None:
    """``onerror`` receives the run's log file(s): a list in Snakemake 9."""
    log = tmp_path / "run.snakemake.log"
    log.write_text(KILLED_ONCE)
    out = io.StringIO()
    given = [str(log), str(tmp_path / "missing.log")] if as_list else log
    failures = report_memory_failures(given, stream=out)
    assert [f.rule for f in failures] == ["de_fit"]
    assert out.getvalue() == memory_hint(failures[0]) + "\n"


def test_report_says_nothing_for_other_failures(tmp_path: Path) -> None:
    log = tmp_path / "run.snakemake.log"
    log.write_text(FAILED_OTHERWISE)
    out = io.StringIO()
    assert report_memory_failures([str(log)], stream=out) == []
    assert report_memory_failures(None, stream=out) == []
    assert out.getvalue() == ""


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Undo what :func:`tmeseq.logs.script_logging` sets up for a step's process."""
    logger = logging.getLogger("tmeseq")
    handlers, level = list(logger.handlers), logger.level
    warnings_handlers = list(logging.getLogger("py.warnings").handlers)
    yield
    for handler in logger.handlers:
        handler.close()
    logger.handlers, logger.level = handlers, level
    logging.getLogger("py.warnings").handlers = warnings_handlers
    logging.captureWarnings(False)


@pytest.mark.usefixtures("restored_logging")
def test_a_step_that_runs_out_of_memory_says_what_to_raise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real refused allocation (2^50 float64, 8 PiB) inside a step: the log and stderr get
    the message, no traceback, and the step exits with status 1."""
    log = tmp_path / "logs" / "de_fit.log"
    with pytest.raises(SystemExit) as exited, script_logging(log, rule="de_fit", mem_mb=2026):
        np.ones(2**50)
    assert exited.value.code == 1
    text = log.read_text()
    assert "[ERROR] tmeseq: rule de_fit: ran out of memory (MemoryError) while asking for " in text
    assert "`--set-resources de_fit:mem_mb=4052`" in text
    assert "Traceback" not in text
    stderr = capsys.readouterr().err
    assert stderr.startswith("[tmeseq] ERROR: rule de_fit: ran out of memory (MemoryError)")
    assert "Traceback" not in stderr
