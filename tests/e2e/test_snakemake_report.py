"""``snakemake --report``, Snakemake's own HTML report of a run, when names and file paths hold
markup: nothing user-supplied appears unescaped in the page, its data still carry the names
as they are, and a browser runs none of it.

Snakemake embeds its data (job parameters, rule inputs) as JSON in ``<script>`` elements; a
level ``x</script><script>...`` ended that element and ran (``tmeseq.snakemake_report`` makes
the JSON safe). The captions (``workflow/report/*.rst``) escape the config values they quote.
Folder names here use upper-case tags: Snakemake reads ``<lowercase>`` in a path as one of its
path variables.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from snakemake.report import html_reporter

from tests.browser import Browser, browser_session
from tests.e2e.conftest import (
    HOSTILE_LEVEL,
    HOSTILE_SAMPLE,
    HOSTILE_SYMBOL,
    planted_gene_sets,
    write_cohort,
)
from tests.e2e.runner import snakemake
from tests.helpers import write_config

pytestmark = pytest.mark.e2e
# each session fixture is made once: every test using one runs on the same xdist worker
MARKUP = pytest.mark.xdist_group("markup_run")
HOSTILE = pytest.mark.xdist_group("hostile_run")

MARKUP_FOLDERS = ("x<", "script><IMG src=x onerror=alert(9)> <B>b</B> $(touch PWNED) `id`; é")
"""The folders holding the markup cohort's sheet and counts: their path holds ``</script>``,
an image that runs a script, a command substitution, backticks and a non-ASCII letter."""
MARKUP_PATH = "/".join(MARKUP_FOLDERS)
MARKUP_LEVEL = "x</script><script>alert(3)</script>"
"""The test level of the markup cohort's contrast: it is a parameter of several jobs."""
RAW = (
    MARKUP_LEVEL,
    "</script><",
    "<IMG src=x",
    "<B>b</B>",
    "alert(3)</script>",
    HOSTILE_SAMPLE,
    HOSTILE_SYMBOL,
)
"""Markup that must not appear as such anywhere in a page."""


@pytest.fixture(scope="module")
def markup_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cohort run to the end whose sheet and counts sit in :data:`MARKUP_FOLDERS`, with
    sample :data:`HOSTILE_SAMPLE` and arms ``ctrl`` and :data:`MARKUP_LEVEL`."""
    root = tmp_path_factory.mktemp("markup_run")
    data = root.joinpath(*MARKUP_FOLDERS)
    data.mkdir(parents=True)
    write_cohort(data, [HOSTILE_SAMPLE, "s2", "s3", "s4", "s5", "s6"], ["ctrl", MARKUP_LEVEL] * 3)
    contrast = {"name": "lvl_vs_ctrl", "variable": "arm", "test": MARKUP_LEVEL}
    write_config(
        root / "config.yaml",
        cohort="markup",
        samples=f"{MARKUP_PATH}/samples.tsv",
        counts={"path": f"{MARKUP_PATH}/counts.tsv"},
        de={"design": "~ arm", "contrasts": [{**contrast, "reference": "ctrl"}]},
        **planted_gene_sets(root),
    )
    inputs = set(root.rglob("*"))
    run = snakemake(root)
    assert run.returncode == 0, run.stderr[-3000:]
    # nothing ran and nothing was written outside results/markup/ (and Snakemake's own folder)
    written = {p.relative_to(root) for p in set(root.rglob("*")) - inputs if p.is_file()}
    assert written, "the run wrote nothing"
    assert {p.parts[0] for p in written} == {"results", ".snakemake"}
    assert {p.parts[1] for p in written if p.parts[0] == "results"} == {"markup"}
    assert not list(root.rglob("PWNED"))
    return root


def snakemake_report(workdir: Path, report: Path) -> str:
    """Run ``snakemake --report <report>`` on ``workdir``; the page's text (from the zip
    archive for a ``.zip`` report)."""
    run = snakemake(workdir, "--report", str(report))
    assert run.returncode == 0, run.stderr[-3000:]
    if report.suffix == ".html":
        return report.read_text(encoding="utf-8")
    with zipfile.ZipFile(report) as archive:
        return archive.read(f"{report.stem}/report.html").decode()


class PageParser(HTMLParser):
    """The elements of a page as a browser's HTML parser sees them: every start tag, and the
    text of each ``<script id=...>`` data block (a script's text ends only at ``</script``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.blocks: dict[str, str] = {}
        self._block: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._block = dict(attrs).get("id") if tag == "script" else None

    def handle_data(self, data: str) -> None:
        if self._block is not None:
            self.blocks[self._block] = self.blocks.get(self._block, "") + data

    def handle_endtag(self, tag: str) -> None:
        self._block = None


def check_inert(page: str) -> dict[str, object]:
    """Assert that ``page`` holds no :data:`RAW` markup and no element but Snakemake's own:
    its script elements are those of Snakemake's page template, no image or bold text was
    opened; return its data blocks (id -> parsed JSON)."""
    for raw in RAW:
        assert raw not in page, raw
    parser = PageParser()
    parser.feed(page)
    parser.close()
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    template = Path(html_reporter.__file__).parent / "template" / "index.html.jinja2"
    assert len(scripts) == template.read_text().count("<script")
    assert not {tag for tag, _ in parser.tags} & {"img", "b", "iframe", "svg"}
    assert set(parser.blocks) == set(DATA_IDS)
    return {name: json.loads(_assigned(text)) for name, text in parser.blocks.items()}


def _assigned(script: str) -> str:
    """The value of a data block ``var name = <value>;``."""
    match = re.fullmatch(r"\s*var \w+ = (.*);\s*", script, re.S)
    assert match is not None, script[:200]
    return match.group(1)


DATA_IDS = (
    "workflow-desc",
    "results",
    "categories",
    "rulegraph",
    "runtimes",
    "timeline",
    "rules",
    "packages",
    "metadata",
    "logo",
)
"""The ``<script id=...>`` data blocks of Snakemake 9's report page."""


@MARKUP
@pytest.mark.parametrize("kind", ["html", "zip"])
def test_markup_in_paths_and_levels_stays_data(
    markup_run: Path, tmp_path: Path, kind: str
) -> None:
    page = snakemake_report(markup_run, tmp_path / f"report.{kind}")
    blocks = check_inert(page)
    # the names are all there, as data: the paths among the rules' inputs, the level among
    # the job parameters shown with each result
    rules = blocks["rules"]
    assert isinstance(rules, dict)
    assert f"{MARKUP_PATH}/counts.tsv" in rules["import_counts"]["input"]
    results = blocks["results"]
    assert isinstance(results, dict)
    params = [result["job_properties"]["params"] for result in results.values()]
    assert any(MARKUP_LEVEL in text for text in params)
    # the description quotes the counts path as text, escaped by docutils
    description = blocks["workflow-desc"]
    assert isinstance(description, str)
    assert "x&lt;/script&gt;&lt;IMG" in description
    assert "onerror=alert(9)&gt;" in description
    assert "$(touch PWNED) `id`; é/counts.tsv</tt>" in description


@HOSTILE
def test_hostile_names_stay_data(hostile_run: Path, tmp_path: Path) -> None:
    page = snakemake_report(hostile_run, tmp_path / "report.html")
    blocks = check_inert(page)
    assert HOSTILE_LEVEL not in page
    results = blocks["results"]
    assert isinstance(results, dict)
    # Snakemake shows the parameters as Python writes them: the level as repr() gives it
    shown = repr(HOSTILE_LEVEL)[1:-1]
    assert any(shown in result["job_properties"]["params"] for result in results.values())


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with browser_session() as session:
        yield session


@MARKUP
def test_browser_runs_none_of_it(markup_run: Path, tmp_path: Path, browser: Browser) -> None:
    report = tmp_path / "report.html"
    snakemake_report(markup_run, report)
    browser.open(report)
    assert browser.alert_text() is None
    injected = browser.driver.execute_script(
        "return document.querySelectorAll('img[src=\"x\"], img[onerror]').length"
        " + [...document.querySelectorAll('b')].filter((b) => b.textContent === 'b').length"
        " + [...document.querySelectorAll('script')]"
        ".filter((s) => s.textContent.trim() === 'alert(3)').length;"
    )
    assert injected == 0
    # the app rendered, with the workflow description showing the path as text
    assert browser.driver.execute_script("return document.querySelector('#app').children.length")
    assert "onerror=alert(9)>" in browser.text("body")
    assert browser.console_errors == []
    assert browser.network_requests == []
