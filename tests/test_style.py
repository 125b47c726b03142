"""The repository passes its linters: ruff, snakefmt, snakemake --lint."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import REPO


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
        ("snakefmt", "--check", "."),
        ("mypy",),
    ],
    ids=["ruff-check", "ruff-format", "snakefmt", "mypy"],
)
def test_linter_is_clean(command: tuple[str, ...]) -> None:
    result = run(sys.executable, "-m", *command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakemake_lint_reports_nothing() -> None:
    result = run(sys.executable, "-m", "snakemake", "--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr
    )
