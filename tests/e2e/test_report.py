"""End-to-end: ``report.html`` and ``provenance.json`` as the workflow writes them.

Two cohorts: the hostile one of ``tests/e2e/conftest.py`` (sample, level and symbol names that
are HTML) must come out escaped everywhere, in the page and in its JSON data block; a quiet
one (no planted effect, gene IDs without symbols, no gene set matching) must keep every
section and say why it has nothing to show.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.conftest import HOSTILE_LEVEL, HOSTILE_SAMPLE, HOSTILE_SYMBOL
from tests.e2e.runner import snakemake
from tests.helpers import small_counts, write_config

pytestmark = pytest.mark.e2e


def report_text(workdir: Path, cohort: str) -> str:
    return (workdir / "results" / cohort / "report.html").read_text(encoding="utf-8")


@pytest.mark.xdist_group("hostile_run")
def test_user_strings_are_escaped_everywhere(hostile_run: Path) -> None:
    page = report_text(hostile_run, "hostile")
    for raw in (HOSTILE_SAMPLE, HOSTILE_LEVEL, HOSTILE_SYMBOL):
        assert raw not in page, raw
    # the escaped forms are shown: the sample in the PCA tooltips, the level in the arms,
    # the symbol in the top-genes table
    assert html.escape(HOSTILE_SAMPLE) in page
    assert "&#34;&amp;&#39; vs ctrl" in page
    assert f"<td>{html.escape(HOSTILE_SYMBOL)}</td>" in page
    # no tag opened by a name: every <script> is one of the page's two
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script type="application/json" id="report-data">', "<script>"]
    block = re.search(r'id="report-data">(.*?)</script>', page, re.S)
    assert block is not None
    assert "<" not in block.group(1) and "&" not in block.group(1)
    data = json.loads(block.group(1))
    labels = [c["label"] for c in data["contrasts"]]
    assert labels == [f"{HOSTILE_LEVEL} vs ctrl", f"ctrl vs {HOSTILE_LEVEL}"]
    assert [c["slug"] for c in data["contrasts"]] == ["amp-q_vs_ctrl", "ctrl_vs_amp-q"]
    for slug in ("amp-q_vs_ctrl", "ctrl_vs_amp-q"):
        assert f'<section id="contrast-{slug}" class="contrast"' in page


@pytest.mark.xdist_group("hostile_run")
def test_provenance_hashes_every_input_and_output(hostile_run: Path) -> None:
    out = hostile_run / "results" / "hostile"
    text = (out / "provenance.json").read_text()
    record = json.loads(text)
    assert text == json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert sorted(record) == ["config", "inputs", "outputs", "software"]
    assert record["config"]["cohort"] == "hostile"
    assert record["config"]["report"] == {
        "gsea_top_sets": 20,
        "top_genes": 50,
        "volcano_points": 1000,
    }
    assert {"counts.tsv", "samples.tsv", "annotation.tsv", "gsea.gmt"} <= set(record["inputs"])
    outputs = record["outputs"]
    for name in ("counts.h5ad", "de/amp.q_vs_ctrl.tsv", "scores/tme_comparison.tsv"):
        assert f"results/hostile/{name}" in outputs
    import hashlib

    for path in ("results/hostile/report.html", "results/hostile/de/summary.tsv"):
        digest = hashlib.sha256((hostile_run / path).read_bytes()).hexdigest()
        assert outputs[path] == digest
    assert {"tmeseq", "snakemake", "pydeseq2", "gseapy", "numpy"} <= set(record["software"])


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cohort with no planted effect (the even positions of :func:`small_counts`), gene IDs
    without symbols (no signature gene found) and GSEA on the signatures only (none tested)."""
    root = tmp_path_factory.mktemp("quiet_run")
    counts = small_counts([f"x{i}" for i in range(12)], seed=7).iloc[:, ::2]
    samples = list(counts.columns)
    counts.to_csv(root / "counts.tsv", sep="\t")
    sheet = pd.DataFrame({"sample": samples, "arm": ["ctrl", "trt"] * 3})
    sheet.to_csv(root / "samples.tsv", sep="\t", index=False)
    write_config(
        root / "config.yaml",
        cohort="quiet",
        scores={"allow_empty": True},
        gsea={"hallmarks": False, "allow_empty": True},
    )
    run = snakemake(root)
    assert run.returncode == 0, run.stderr[-3000:]
    return root


def section(page: str, section_id: str) -> str:
    """The markup of one ``<section>`` of the page."""
    match = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    assert match is not None, section_id
    return match.group(0)


def test_empty_sections_say_why(quiet_run: Path) -> None:
    page = report_text(quiet_run, "quiet")
    contrast = section(page, "contrast-trt_vs_ctrl")
    summary = pd.read_csv(quiet_run / "results" / "quiet" / "de" / "summary.tsv", sep="\t")
    assert summary[["n_up", "n_down"]].to_numpy().tolist() == [[0, 0]]
    assert "<strong>0</strong> genes up and <strong>0</strong> down at padj &lt; 0.05" in contrast
    assert re.search(
        r'<p class="empty-note">No gene has padj &lt; 0.05 in this contrast \([\d,]+ genes '
        r"tested; smallest padj [^)]+\)\.</p>",
        contrast,
    )
    # gene IDs without symbols: no signature gene is found, every score says so
    assert "cd8_t_cells: none of its 2 genes was found in the data (not scored)." in contrast
    assert '<p class="empty-note">No score has values in these arms.</p>' in contrast
    assert re.search(r"No gene set was tested: tme_signatures: 0 of \d+ sets", contrast)
    # the TME table keeps its rows, every call "not tested", and the sentence says so
    answer = section(page, "answer")
    assert answer.count('data-call="not tested"') == 10
    assert (
        "trt vs ctrl (padj &lt; 0.05): no TME parameter was tested (no score has a p-value)."
    ) in answer
    for hook in ("qc", "methods", "provenance"):
        assert f'<section id="{hook}"' in page
