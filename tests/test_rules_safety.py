"""No rule runs a shell command: user-supplied strings (sample, contrast, cohort names, paths)
can never reach a shell, because every rule calls a Python script."""

from __future__ import annotations

import re

from tests.helpers import REPO

RULE_FILES = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]
DIRECTIVE = re.compile(r"^\s+(shell|run|wrapper|notebook|cwl|template_engine)\s*:", re.MULTILINE)


def test_rule_files_are_found() -> None:
    names = {path.name for path in RULE_FILES}
    assert {"Snakefile", "common.smk", "de.smk", "report.smk"} <= names


def test_no_rule_uses_shell_or_inline_code() -> None:
    offenders = [
        f"{path.relative_to(REPO)}: {match.group(1)}"
        for path in RULE_FILES
        for match in DIRECTIVE.finditer(path.read_text())
    ]
    assert offenders == []


def test_every_rule_calls_a_script() -> None:
    for path in RULE_FILES[1:]:
        text = path.read_text()
        rules = re.findall(r"^rule (\w+):", text, re.MULTILINE)
        scripts = re.findall(r"^\s+script:\n\s+\"\.\./scripts/\w+\.py\"", text, re.MULTILINE)
        assert len(rules) == len(scripts), f"{path.name}: {rules}"


def test_the_scan_would_catch_a_shell_rule() -> None:
    text = 'rule bad:\n    input:\n        "x"\n    shell:\n        "echo {wildcards.sample}"\n'
    assert DIRECTIVE.search(text) is not None
