"""Snakemake's own HTML report (``snakemake --report``), safe for names that hold markup.

Snakemake 9's HTML reporter writes its data (each result with its job's parameters, each rule
with its input paths, the categories, the workflow description) into the page as JSON inside
``<script>`` elements, made with :func:`json.dumps`, which leaves ``<``, ``>`` and ``&`` as
they are. A sample-sheet level or a file path holding ``</script>`` therefore ends the script
element, and the page reads what follows as HTML (``<img src=x onerror=...>`` runs).
:func:`protect_snakemake_report`, called by the Snakefile when the workflow loads, makes every
JSON block of that reporter write those three characters as ``\\u003c``, ``\\u003e`` and
``\\u0026``: the same JSON for the page's script, and nothing an HTML parser takes for markup.

The captions (``workflow/report/*.rst``) are the other place a user's string reaches that
page: they escape each value for reStructuredText themselves (their ``text()`` macro).
"""

from __future__ import annotations

import importlib
import json
from types import ModuleType
from typing import Any

#: The modules of Snakemake's HTML reporter that embed JSON in the page (each imports ``json``).
REPORTER_MODULES = (
    "snakemake.report.html_reporter",
    "snakemake.report.html_reporter.data.categories",
    "snakemake.report.html_reporter.data.configfiles",
    "snakemake.report.html_reporter.data.metadata",
    "snakemake.report.html_reporter.data.packages",
    "snakemake.report.html_reporter.data.results",
    "snakemake.report.html_reporter.data.rulegraph",
    "snakemake.report.html_reporter.data.rules",
    "snakemake.report.html_reporter.data.runtimes",
    "snakemake.report.html_reporter.data.timeline",
)

_HTML_SPECIAL = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def script_safe(text: str) -> str:
    """JSON text ``text`` with ``<``, ``>`` and ``&`` written as ``\\u`` escapes.

    In JSON those characters occur only inside strings, where the escape means the same
    character, so the value is unchanged; the text can then sit in an HTML ``<script>``
    element without ending it (``</script>``) or opening a comment (``<!--``).
    """
    return text.translate(_HTML_SPECIAL)


class _ScriptSafeJson(ModuleType):
    """The :mod:`json` module, but :meth:`dumps` returns :func:`script_safe` text."""

    def __init__(self) -> None:
        super().__init__("json")

    def __getattr__(self, name: str) -> Any:
        return getattr(json, name)

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        return script_safe(json.dumps(obj, **kwargs))


_SAFE_JSON = _ScriptSafeJson()


def protect_snakemake_report() -> list[str]:
    """Make Snakemake's HTML reporter embed only :func:`script_safe` JSON in its page.

    Idempotent. A module of :data:`REPORTER_MODULES` that this Snakemake does not have, or
    that no longer uses ``json``, is left alone (``tests/e2e/test_snakemake_report.py``
    checks the page itself, so such a change in Snakemake shows up there).

    Returns
    -------
    list of str
        The modules now using the safe ``json``.
    """
    protected = []
    for name in REPORTER_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if getattr(module, "json", None) in (json, _SAFE_JSON):
            module.json = _SAFE_JSON  # type: ignore[attr-defined]
            protected.append(name)
    return protected
