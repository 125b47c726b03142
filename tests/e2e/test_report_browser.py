"""End-to-end: ``report.html`` opened in headless Chromium, as a reader opens it.

The finished run of ``tests/e2e/conftest.py`` (one contrast) and the hostile cohort (names
that are HTML, two contrasts) are opened with the harness of ``tests/browser.py``: the page
must load offline (every request recorded: only the file itself), log no console error, show
every section for every contrast, render the TME table with one row per parameter of
``scores/tme_comparison.tsv``, re-sort a top-genes table when a header is clicked, and show
the hostile names as text without running anything.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.browser import Browser, browser_session
from tests.e2e.conftest import HOSTILE_LEVEL, HOSTILE_SAMPLE, HOSTILE_SYMBOL

pytestmark = pytest.mark.e2e
# the session fixtures are made once: every test using one runs on the same xdist worker
FINISHED = pytest.mark.xdist_group("finished_run")
HOSTILE = pytest.mark.xdist_group("hostile_run")

# Every cell of a table, row by row, as the reader sees it (``textContent``, stripped), and
# the cells' ``data-sort`` values (the unrounded numbers the table sorts on; null if none).
TABLE_CELLS = """
const table = arguments[0];
const header = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
const body = [...table.querySelectorAll('tbody tr')];
const rows = body.map((tr) => [...tr.children].map((td) => td.textContent.trim()));
const keys = body.map((tr) => [...tr.children].map((td) => td.getAttribute('data-sort')));
return [header, rows, keys];
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with browser_session() as session:
        yield session


def slug(name: str) -> str:
    """The page id suffix of a contrast: characters outside ``[A-Za-z0-9_-]`` become ``-``."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def report_of(workdir: Path) -> tuple[Path, dict[str, object]]:
    """The report of the run in ``workdir`` and the config it ran with."""
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    path = workdir / "results" / str(config["cohort"]) / "report.html"
    assert path.is_file(), f"the workflow's final targets should include {path}"
    return path, config


def contrast_names(config: dict[str, object]) -> list[str]:
    de = config["de"]
    assert isinstance(de, dict)
    return [str(contrast["name"]) for contrast in de["contrasts"]]


def number(text: str) -> float | None:
    """A number as the report writes it (``+1.25``, ``-0.3``, ``4.2e-05``, ``< 0.001``,
    Unicode minus), or None for ``NA``/empty; ValueError if ``text`` is not a number."""
    cleaned = text.replace("\u2212", "-").replace(",", "").strip()
    if cleaned in {"", "NA", "\u2014", "-"}:
        return None
    return float(cleaned.lstrip("<>\u2264\u2265 ").strip())


def numbers(values: list[str]) -> list[float | None] | None:
    """The column's values as numbers, or None if any cell is not a number."""
    try:
        return [number(value) for value in values]
    except ValueError:
        return None


def is_sorted(values: list[float], descending: bool) -> bool:
    pairs = pairwise(values)
    return all((a >= b) if descending else (a <= b) for a, b in pairs)


def check_opens_cleanly(browser: Browser, report: Path) -> None:
    """The report loads, logs no console error and requests nothing but its own file."""
    browser.open(report)
    assert browser.console_errors == []
    assert browser.network_requests == []
    # its own file, once; inline images (data: URLs) may be listed too, they fetch nothing
    assert browser.requests.count(report.resolve().as_uri()) == 1
    assert browser.alert_text() is None


def check_sections(browser: Browser, report: Path, contrasts: list[str]) -> None:
    """Every section is present, once, with text, in the report's order: answer, QC, each
    contrast in the config's order, methods, provenance; every contrast's section has its
    parts (:func:`check_contrast_parts`)."""
    expected = ["answer", "qc", *(f"contrast-{slug(name)}" for name in contrasts)]
    expected += ["methods", "provenance"]
    ids: list[str] = browser.driver.execute_script(
        "return [...document.querySelectorAll('[id]')].map((element) => element.id);"
    )
    for section in expected:
        assert ids.count(section) == 1, f"section #{section}: found {ids.count(section)} times"
        assert browser.text(f"#{section}").strip(), f"section #{section} is empty"
    positions = [ids.index(section) for section in expected]
    assert positions == sorted(positions), f"sections out of order: {expected}"
    for name in contrasts:
        check_contrast_parts(browser, report, name)


def check_contrast_parts(browser: Browser, report: Path, name: str) -> None:
    """The section of contrast ``name`` names it and shows its up/down counts, the
    interactive volcano, the top-genes table with its search box and a working link to the
    full TSV, and for the scores and GSEA either a table or a note saying why there is none."""
    section = f"#contrast-{slug(name)}"
    assert browser.find(section).get_attribute("data-contrast") == name
    assert re.search(r"\d+ genes up and \d+ down", browser.text(f"{section} p.de-counts"))
    assert browser.find_all(f"{section} svg.volcano circle.tip[data-tip]")
    table = browser.find(f"{section} table.top-genes")
    assert browser.find_all("tbody tr", within=table)
    assert browser.find_all(
        f'{section} input.table-search[data-table="{table.get_attribute("id")}"]'
    )
    # the link is relative, next to the report: de/<contrast>.tsv exists there
    link = browser.find(f"{section} a.full-table").get_attribute("href")
    assert link == (report.parent / "de" / f"{name}.tsv").resolve().as_uri()
    for kind in ("scores-table", "gsea-table"):
        tables = browser.find_all(f"{section} table.{kind} tbody tr")
        notes = [note for note in browser.texts(f"{section} .empty-note") if note]
        assert tables or notes, f"{section}: no {kind} and no note saying why"


def check_tme_table(browser: Browser, workdir: Path, cohort: str) -> None:
    """``#tme-table`` has one row per parameter of ``scores/tme_comparison.tsv``, in order."""
    table = pd.read_csv(workdir / "results" / cohort / "scores" / "tme_comparison.tsv", sep="\t")
    expected = table["parameter"].astype(str).tolist()
    rows = browser.find_all("#tme-table tr[data-parameter]")
    assert [row.get_attribute("data-parameter") for row in rows] == expected
    for row, parameter in zip(rows, expected, strict=True):
        assert parameter in str(row.get_attribute("textContent"))


@FINISHED
def test_report_opens_offline_without_errors(browser: Browser, finished_run: Path) -> None:
    report, _ = report_of(finished_run)
    check_opens_cleanly(browser, report)
    assert browser.load_time() < 5


@FINISHED
def test_every_section_is_present_for_every_contrast(browser: Browser, finished_run: Path) -> None:
    report, config = report_of(finished_run)
    browser.open(report)
    check_sections(browser, report, contrast_names(config))


@FINISHED
def test_tme_table_has_a_row_per_parameter(browser: Browser, finished_run: Path) -> None:
    report, config = report_of(finished_run)
    browser.open(report)
    check_tme_table(browser, finished_run, str(config["cohort"]))


@FINISHED
def test_clicking_a_header_resorts_the_top_genes_table(
    browser: Browser, finished_run: Path
) -> None:
    report, config = report_of(finished_run)
    browser.open(report)
    section = f"#contrast-{slug(contrast_names(config)[0])}"
    table = browser.find(f"{section} table.top-genes")
    header, rows, _ = browser.driver.execute_script(TABLE_CELLS, table)
    assert len(rows) >= 10, "the top-genes table should list the contrast's top genes"
    before = [tuple(row) for row in rows]
    # a numeric column that is not already in ascending order (clicking it must change it)
    candidates = []
    for index in range(len(header)):
        values = numbers([row[index] for row in rows])
        if values is None:
            continue
        present = [value for value in values if value is not None]
        if len(present) >= 10 and not is_sorted(present, descending=False):
            candidates.append(index)
    assert candidates, f"no unsorted numeric column among {header}"
    column = candidates[0]
    headers = browser.find_all("thead th", within=table)
    assert headers[column].get_attribute("aria-sort") in (None, "none")

    directions = []
    for _ in range(2):
        browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", table)
        headers[column].click()
        sort = headers[column].get_attribute("aria-sort")
        assert sort in ("ascending", "descending"), f"aria-sort is {sort!r} after a click"
        directions.append(sort)
        _, after, keys = browser.driver.execute_script(TABLE_CELLS, table)
        descending = sort == "descending"
        # what the reader sees is in order (rounded numbers: ties allowed) ...
        values = numbers([row[column] for row in after])
        assert values is not None
        present = [value for value in values if value is not None and not math.isnan(value)]
        assert is_sorted(present, descending), (header[column], sort)
        # ... and so are the exact values, missing ones last whichever the direction
        exact = [float(key[column]) if key[column] else math.nan for key in keys]
        known = [value for value in exact if not math.isnan(value)]
        assert is_sorted(known, descending), (header[column], sort)
        assert all(math.isnan(value) for value in exact[len(known) :])
        # sorting reorders the rows, never loses or changes one; only one header is sorted
        assert sorted(map(tuple, after)) == sorted(before)
        others = [th.get_attribute("aria-sort") for i, th in enumerate(headers) if i != column]
        assert all(other in (None, "none") for other in others)
    assert set(directions) == {"ascending", "descending"}, "a second click reverses the order"
    assert browser.console_errors == []


@HOSTILE
def test_hostile_names_render_as_text_and_run_nothing(browser: Browser, hostile_run: Path) -> None:
    report, config = report_of(hostile_run)
    check_opens_cleanly(browser, report)
    check_sections(browser, report, contrast_names(config))
    check_tme_table(browser, hostile_run, str(config["cohort"]))
    # the level and the symbol are in the page's text (sample names only in the tooltips of
    # the PCA's points: see the next test)
    text = browser.text("body")
    for hostile in (HOSTILE_LEVEL, HOSTILE_SYMBOL):
        assert hostile in text, f"{hostile!r} should be shown as text"
    # nothing of them became markup: no injected script or image
    injected = browser.driver.execute_script(
        "return [...document.querySelectorAll('script')]"
        ".filter((s) => s.textContent.trim() === 'alert(1)').length"
        " + document.querySelectorAll('img[src=\"x\"], img[onerror]').length;"
    )
    assert injected == 0
    assert browser.alert_text() is None
    assert browser.console_errors == []
    assert browser.network_requests == []


@HOSTILE
@pytest.mark.parametrize(
    ("hostile", "figure"),
    [(HOSTILE_SAMPLE, "#qc svg"), (HOSTILE_LEVEL, "#qc svg"), (HOSTILE_SYMBOL, "svg.volcano")],
    ids=["sample-in-pca", "level-in-pca", "symbol-in-volcano"],
)
def test_hostile_names_in_tooltips_stay_text(
    browser: Browser, hostile_run: Path, hostile: str, figure: str
) -> None:
    report, _ = report_of(hostile_run)
    browser.open(report)
    points = [
        point
        for point in browser.find_all(f"{figure} .tip[data-tip]")
        if hostile in str(point.get_attribute("data-tip"))
    ]
    assert points, f"a point of {figure} should name {hostile!r} in its tooltip"
    for point in points[:3]:
        browser.driver.execute_script("arguments[0].focus();", point)
        assert browser.find("#tooltip").get_attribute("hidden") is None
        assert hostile in browser.text("#tooltip")
        assert browser.find_all("#tooltip *") == [], "the tooltip holds text only"
    assert browser.alert_text() is None
    assert browser.console_errors == []
    assert browser.network_requests == []


@HOSTILE
def test_searching_the_top_genes_for_a_hostile_symbol(browser: Browser, hostile_run: Path) -> None:
    report, config = report_of(hostile_run)
    browser.open(report)
    section = f"#contrast-{slug(contrast_names(config)[0])}"
    table_id = browser.find(f"{section} table.top-genes").get_attribute("id")
    search = browser.find(f'input.table-search[data-table="{table_id}"]')
    search.send_keys(HOSTILE_SYMBOL)
    assert shown_symbols(browser, table_id) == [HOSTILE_SYMBOL]
    search.clear()
    search.send_keys("planted1")  # Planted1x, as the search ignores case (Planted1 is hostile)
    shown = shown_symbols(browser, table_id)
    assert shown and all(symbol.startswith("Planted1") for symbol in shown)
    assert browser.alert_text() is None
    assert browser.console_errors == []
    assert browser.network_requests == []


def shown_symbols(browser: Browser, table_id: str) -> list[str]:
    """The first cell (symbol) of each row the search leaves visible in table ``table_id``."""
    return list(
        browser.driver.execute_script(
            "return [...document.getElementById(arguments[0]).tBodies[0].rows]"
            ".filter((row) => !row.hidden).map((row) => row.cells[0].textContent);",
            table_id,
        )
    )
